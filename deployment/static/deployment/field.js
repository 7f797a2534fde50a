// The observation form without a framework: filter the member chooser by name, and show the
// chosen member's previous level beside each behavior. The form works without it.
(function () {
  "use strict";
  const select = document.getElementById("id_member");
  const search = document.getElementById("member-search");
  if (select && search) {
    search.addEventListener("input", function () {
      const query = search.value.trim().toLowerCase();
      let match = null;
      let count = 0;
      for (const option of select.options) {
        if (!option.value) continue;
        const hit = !query || option.text.toLowerCase().includes(query);
        option.hidden = !hit;
        option.disabled = !hit;
        if (hit) { count += 1; match = option; }
      }
      if (count === 1 && select.value !== match.value) {
        select.value = match.value;
        select.dispatchEvent(new Event("change"));
      }
    });
  }
  const data = document.getElementById("previous-levels");
  const form = document.querySelector(".observation-form");
  if (select && data && form) {
    const levels = JSON.parse(data.textContent);
    select.addEventListener("change", function () {
      const mine = levels[select.value] || {};
      document.querySelectorAll("[data-previous-for]").forEach(function (el) {
        const level = mine[el.dataset.previousFor];
        el.replaceChildren();
        if (!level) return;
        const label = document.createElement("small");
        label.textContent = form.dataset.previousLabel;
        const chip = document.createElement("span");
        chip.className = "level-chip level-" + level;
        chip.textContent = level;
        el.append(label, " ", chip);
      });
    });
  }
})();
