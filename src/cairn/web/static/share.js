// "Copy link" buttons: shown only when the clipboard can be used; the read-only field works without them.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  if (!navigator.clipboard) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentElement.querySelector(".copied");
    navigator.clipboard.writeText(field.value).then(function () {
      if (status) { status.textContent = document.documentElement.lang === "pl" ? "Skopiowano." : "Copied."; }
    }, function () { field.select(); });
  });
});
