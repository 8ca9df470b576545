// The bulk award job page: polls the progress JSON and updates the bar and its words; reloads once the job ends.
(function () {
  var box = document.getElementById("job");
  if (!box || !window.fetch) { return; }
  var bar = document.getElementById("job-progress");
  var words = document.getElementById("job-count");
  var every = parseInt(box.getAttribute("data-poll-ms"), 10) || 1500;
  function tick() {
    fetch(box.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        if (job.status === "done" || job.status === "failed") { window.location.reload(); return; }
        bar.max = Math.max(job.total_rows, 1);
        bar.value = job.done_rows;
        bar.textContent = job.percent + "%";
        var text = box.getAttribute("data-count-text").replace("{done}", job.done_rows.toLocaleString())
          .replace("{total}", job.total_rows.toLocaleString());
        if (words.textContent !== text) { words.textContent = text; }
      })
      .catch(function () { /* the next tick tries again */ })
      .then(function () { window.setTimeout(tick, every); });
  }
  window.setTimeout(tick, every);
})();
