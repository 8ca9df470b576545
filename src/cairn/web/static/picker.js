/* Cairn ESCO skill picker: searches as one types and adds a chosen skill to its learning outcome.
   Progressive enhancement only: without this script the form's "Search skills" and "Add the chosen skills"
   buttons do the same by posting the form back. No external assets; safe with CSP script-src 'self'. */
(function () {
  "use strict";
  var status = document.getElementById("picker-status");
  var counter = 0;

  function announce(text) {
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 60);
  }

  function outcomeName(row) {
    return "outcome " + (Number(row) + 1);
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
    if (empty) empty.hidden = true;
    return true;
  }

  function setup(picker) {
    var row = picker.getAttribute("data-picker");
    var input = picker.querySelector('input[type="search"]');
    if (!input || !window.fetch) return;
    var results = document.createElement("ul");
    results.className = "picker-results";
    results.id = "picker-results-" + row;
    results.setAttribute("aria-label", "ESCO skills found for " + outcomeName(row));
    picker.appendChild(results);
    input.setAttribute("aria-controls", results.id);
    var timer = null;
    var controller = null;
    var last = "";

    function clear() {
      results.textContent = "";
      last = "";
    }

    function render(items) {
      results.textContent = "";
      items.forEach(function (skill) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = "Add";
        button.setAttribute("aria-label", "Add " + skill.label + " to " + outcomeName(row));
        var text = document.createElement("span");
        text.textContent = skill.label + (skill.matched !== skill.label ? " (also called \u201c" + skill.matched + "\u201d)" : "");
        button.addEventListener("click", function () {
          var added = addSkill(row, skill.uri, skill.label);
          announce(added ? "Added " + skill.label + " to " + outcomeName(row) + "." :
            skill.label + " is already in " + outcomeName(row) + ".");
          input.value = "";
          clear();
          input.focus();
        });
        item.appendChild(button);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(text);
        results.appendChild(item);
      });
    }

    function search(force) {
      var query = input.value.trim();
      if (query === last && !force) return;
      last = query;
      if (controller) controller.abort();
      if (!query) {
        results.textContent = "";
        return;
      }
      controller = window.AbortController ? new AbortController() : null;
      var url = "/api/v1/esco/skills?limit=10&q=" + encodeURIComponent(query);
      window.fetch(url, { headers: { Accept: "application/json" }, signal: controller ? controller.signal : undefined })
        .then(function (response) { return response.ok ? response.json() : { items: [], reason: "the search failed" }; })
        .then(function (body) {
          var items = body.items || [];
          render(items);
          announce(items.length ? items.length + " skill" + (items.length === 1 ? "" : "s") + " found; tab to the Add buttons." :
            "No skill found" + (body.reason ? ": " + body.reason : "."));
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") return;
          announce("The live search failed; press the Search skills button instead.");
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 250);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); /* Enter searches here instead of saving the form */
        window.clearTimeout(timer);
        search(true);
      }
    });
  }

  var pickers = document.querySelectorAll("[data-picker]");
  for (var i = 0; i < pickers.length; i++) setup(pickers[i]);
})();
