/* Cairn ESCO skill picker: searches as one types, suggests skills from an outcome's text, and adds a chosen
   skill to its learning outcome. Every picker behaves the same way, whether its list came from a search or a
   suggestion: one list of Add buttons (with the skill's type), an Add marks the skill "Added" and keeps the list
   (one usually adds several), focus goes on to the next Add; Down and Up arrows move between the search field and
   the Add buttons, Escape empties the list and goes back; a chosen skill is removed by unticking it. Progressive enhancement only: without this script (or when a request fails) the
   form's "Search skills", "Suggest skills from the outcome's text" and "Add the chosen skills" buttons do the same
   by posting the form back. No external assets; safe with CSP script-src 'self'. */
(function () {
  "use strict";
  var status = document.getElementById("picker-status");
  var counter = 0;

  function announce(text) {
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 60);
  }

  /* Some style sheets give notes display: block, which beats the hidden attribute: say it in the style too. */
  function setHidden(element, hidden) {
    element.hidden = hidden;
    element.style.display = hidden ? "none" : "";
  }

  /* What the script says, in the page's language: the form hands a table of messages
     (<script type="application/json" id="picker-messages">, data only); English where it does not. */
  var MESSAGES = {
    outcome: "outcome {n}",
    closed: "The list of skills is closed.",
    added_button: "Added",
    is_in: "{skill} is in {outcome}",
    list_found: "ESCO skills found for {outcome}",
    list_suggested: "ESCO skills suggested for {outcome}",
    add_button: "Add",
    add_label: "Add {skill} to {outcome}",
    also_called: "also called",
    added: "Added {skill} to {outcome}.",
    already: "{skill} is already in {outcome}.",
    found: "{count} found; tab or arrow down to the Add buttons.",
    none_found: "No skill found.",
    search_failed: "The live search failed; press the Search skills button instead.",
    write_first: "Write outcome {n} first: suggestions come from its text.",
    looking: "Looking for skills that fit {outcome}\u2026",
    suggested: "{count} suggested for {outcome}, best first; tab to the Add buttons.",
    none_suggested: "No skill suggested for {outcome}.",
    one_skill: "1 skill",
    skills: "{n} skills"
  };
  (function () {
    var block = document.getElementById("picker-messages");
    if (!block) return;
    try {
      var given = JSON.parse(block.textContent || "{}");
      Object.keys(MESSAGES).forEach(function (key) {
        if (typeof given[key] === "string" && given[key]) MESSAGES[key] = given[key];
      });
    } catch (error) { /* keep English */ }
  })();

  function say(key, values) {
    return MESSAGES[key].replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function outcomeName(row) {
    return say("outcome", { n: Number(row) + 1 });
  }

  function addSkill(row, uri, label) {
    var list = document.querySelector('[data-skill-list="' + row + '"]');
    if (!list) return false;
    var boxes = list.querySelectorAll('input[type="checkbox"]');
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].value === uri) {
        boxes[i].checked = true;
        return false;
      }
    }
    counter += 1;
    var id = "skill-" + row + "-added-" + counter;
    var item = document.createElement("li");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.id = id;
    box.name = list.getAttribute("data-name");
    box.value = uri;
    box.checked = true;
    var text = document.createElement("label");
    text.htmlFor = id;
    text.textContent = label;
    var address = document.createElement("span");
    address.className = "uri";
    address.textContent = uri;
    item.appendChild(box);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(text);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(address);
    list.appendChild(item);
    var empty = document.querySelector('[data-skill-empty="' + row + '"]');
    if (empty) setHidden(empty, true);
    return true;
  }

  /* The server's messages are phrases ("the index is still being prepared"): show them as sentences. */
  function sentence(text) {
    text = String(text || "").trim();
    if (!text) return "";
    text = text.charAt(0).toUpperCase() + text.slice(1);
    return /[.!?]$/.test(text) ? text : text + ".";
  }

  function plural(count) {
    return count === 1 ? say("one_skill") : say("skills", { n: count });
  }

  /* The outcome's text in the first language that has some (the same choice as the form's own suggestion). */
  function outcomeText(row) {
    var prefix = "learning_outcomes." + row + ".text.";
    var fields = document.querySelectorAll("textarea[name], input[name]");
    for (var i = 0; i < fields.length; i++) {
      var name = fields[i].name;
      if (name.indexOf(prefix) === 0 && name.length > prefix.length) {
        var value = fields[i].value.trim();
        if (value) return value;
      }
    }
    return "";
  }

  function hasSkill(row, uri) {
    var list = document.querySelector('[data-skill-list="' + row + '"]');
    if (!list) return false;
    var boxes = list.querySelectorAll('input[type="checkbox"]');
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].value === uri && boxes[i].checked) return true;
    }
    return false;
  }

  function setup(picker) {
    var row = picker.getAttribute("data-picker");
    var input = picker.querySelector('input[type="search"]');
    var suggest = picker.querySelector("[data-suggest]");
    if (!window.fetch) return;
    var note = document.createElement("p");
    note.className = "note picker-note";
    note.id = "picker-note-" + row;
    setHidden(note, true);
    picker.appendChild(note);
    var results = document.createElement("ul");
    results.className = "picker-results";
    results.id = "picker-results-" + row;
    /* the page's language: the form gives the list's name (data-results-label) */
    results.setAttribute("aria-label", picker.getAttribute("data-results-label") || say("list_found", { outcome: outcomeName(row) }));
    picker.appendChild(results);
    if (input) input.setAttribute("aria-controls", results.id);
    if (suggest) suggest.setAttribute("aria-controls", results.id);
    var timer = null;
    var controller = null;
    var last = "";
    var mode = "search";
    var fallback = false;

    function showNote(text) {
      note.textContent = text;
      setHidden(note, !text);
    }

    function clear() {
      results.textContent = "";
      showNote("");
      last = "";
    }

    function fetchJson(url) {
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      return window.fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller ? controller.signal : undefined
      });
    }

    /* Where focus goes back to: the field the list came from (the search field, or the suggest button). */
    function origin() {
      return mode === "search" && input ? input : (suggest || input);
    }

    /* After an Add: the next skill still to add, else back where the list came from. */
    function focusAfter(item) {
      for (var next = item.nextElementSibling; next; next = next.nextElementSibling) {
        var button = next.querySelector("button:not([disabled])");
        if (button) { button.focus(); return; }
      }
      var back = origin();
      if (back) back.focus();
    }

    function addButtons() {
      return Array.prototype.slice.call(results.querySelectorAll("button:not([disabled])"));
    }

    /* The same keys in every picker: arrows between the field and the Add buttons, Escape to close the list. */
    function onListKey(event) {
      var buttons = addButtons();
      var at = buttons.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && at >= 0 && at < buttons.length - 1) {
        event.preventDefault();
        buttons[at + 1].focus();
      } else if (event.key === "ArrowUp" && at >= 0) {
        event.preventDefault();
        if (at > 0) buttons[at - 1].focus(); else { var back = origin(); if (back) back.focus(); }
      } else if (event.key === "Escape") {
        event.preventDefault();
        var to = origin();
        clear();
        if (to) to.focus();
        announce(say("closed"));
      }
    }
    results.addEventListener("keydown", onListKey);

    function markAdded(button, skill) {
      button.textContent = say("added_button");
      button.disabled = true;
      button.setAttribute("aria-label", say("is_in", { skill: skill.label, outcome: outcomeName(row) }));
    }

    function render(items, suggested) {
      mode = suggested ? "suggest" : "search";
      results.setAttribute("aria-label", say(suggested ? "list_suggested" : "list_found", { outcome: outcomeName(row) }));
      results.textContent = "";
      items.forEach(function (skill) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = say("add_button");
        button.setAttribute("aria-label", say("add_label", { skill: skill.label, outcome: outcomeName(row) }));
        var matched = skill.matched || skill.label;
        var text = document.createElement("span");
        text.textContent = skill.label + (matched !== skill.label ? " (" + say("also_called") + " \u201c" + matched + "\u201d)" : "");
        button.addEventListener("click", function () {
          var added = addSkill(row, skill.uri, skill.label);
          announce(say(added ? "added" : "already", { skill: skill.label, outcome: outcomeName(row) }));
          /* keep the other skills listed: one usually adds several */
          markAdded(button, skill);
          focusAfter(item);
        });
        if (hasSkill(row, skill.uri)) markAdded(button, skill);
        item.appendChild(button);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(text);
        if (skill.type) {
          var tag = document.createElement("span");
          tag.className = "tag";
          tag.textContent = skill.type;
          item.appendChild(document.createTextNode(" "));
          item.appendChild(tag);
        }
        results.appendChild(item);
      });
    }

    function search(force) {
      var query = input.value.trim();
      if (query === last && !force) return;
      last = query;
      if (controller) controller.abort();
      if (!query) {
        clear();
        return;
      }
      fetchJson("/api/v1/esco/skills?limit=10&q=" + encodeURIComponent(query))
        .then(function (response) { return response.ok ? response.json() : { items: [], reason: "the search failed" }; })
        .then(function (body) {
          var items = body.items || [];
          showNote("");
          render(items, false);
          announce(items.length ? say("found", { count: plural(items.length) }) :
            say("none_found") + (body.reason ? " " + sentence(body.reason) : ""));
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") return;
          announce(say("search_failed"));
        });
    }

    /* Without a usable answer the button does what it does without this script: it posts the form. */
    function submitInstead() {
      fallback = true;
      suggest.click();
    }

    function suggestSkills() {
      var text = outcomeText(row);
      last = "";
      if (!text) {
        clear();
        var why = say("write_first", { n: Number(row) + 1 });
        showNote(why);
        announce(why);
        var field = document.querySelector('[name^="learning_outcomes.' + row + '.text."]');
        if (field) field.focus();
        return;
      }
      announce(say("looking", { outcome: outcomeName(row) }));
      suggest.setAttribute("aria-busy", "true");
      fetchJson("/api/v1/skills/suggest?k=10&text=" + encodeURIComponent(text))
        .then(function (response) {
          if (!response.ok) throw new Error("the suggestion service answered " + response.status);
          return response.json();
        })
        .then(function (body) {
          suggest.removeAttribute("aria-busy");
          var items = body.skills || [];
          var messages = [];
          [body.reason, body.note].forEach(function (message) {
            var text = sentence(message);
            if (text && messages.indexOf(text) < 0) messages.push(text);
          });
          if (input) input.value = "";
          showNote(messages.join(" "));
          render(items, true);
          var said = items.length ? say("suggested", { count: plural(items.length), outcome: outcomeName(row) }) :
            say("none_suggested", { outcome: outcomeName(row) });
          announce(messages.length ? said + " " + messages.join(" ") : said);
        })
        .catch(function (error) {
          suggest.removeAttribute("aria-busy");
          if (error && error.name === "AbortError") return;
          submitInstead();
        });
    }

    if (suggest) {
      suggest.addEventListener("click", function (event) {
        if (fallback) {
          fallback = false;
          return; /* let the form post */
        }
        event.preventDefault();
        suggestSkills();
      });
    }

    if (!input) return;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 250);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); /* Enter searches here instead of saving the form */
        window.clearTimeout(timer);
        search(true);
      } else if (event.key === "ArrowDown") {
        var buttons = addButtons();
        if (buttons.length) {
          event.preventDefault();
          buttons[0].focus();
        }
      } else if (event.key === "Escape" && results.firstChild) {
        event.preventDefault();
        clear();
        announce(say("closed"));
      }
    });
  }

  var pickers = document.querySelectorAll("[data-picker]");
  for (var i = 0; i < pickers.length; i++) setup(pickers[i]);
})();
