// Inline rows (deform sequences as tables): add and remove without inline
// handlers, so the Content-Security-Policy can forbid inline script.
(function () {
  "use strict";

  function refresh(seq) {
    var rows = seq.querySelectorAll(".deform-seq-container > .deform-seq-item").length;
    var count = seq.querySelector(".poser-row-count");
    if (count) { count.textContent = rows; }
    var empty = seq.querySelector(".poser-empty-note");
    if (empty) { empty.hidden = rows > 0; }
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest(".poser-seq-add");
    var remove = event.target.closest(".poser-seq-remove");
    if (add) {
      event.preventDefault();
      deform.appendSequenceItem(add);
      var seq = add.closest(".deform-seq");
      refresh(seq);
      var rows = seq.querySelectorAll(".deform-seq-container > .deform-seq-item");
      var first = rows.length && rows[rows.length - 1].querySelector("input[type=text]");
      if (first) { first.focus(); }
    } else if (remove) {
      event.preventDefault();
      var seqOfRow = remove.closest(".deform-seq");
      deform.removeSequenceItem(remove);
      refresh(seqOfRow);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".poser-inline").forEach(refresh);
  });
})();

// List filters: show the second value only for "between", no value for "is
// empty"; leave filters that are off out of the URL (the server ignores them
// either way, so the page works without this script).
(function () {
  "use strict";

  function syncFilter(fieldset) {
    var op = fieldset.querySelector(".poser-filter-op");
    if (!op) { return; }
    var to = fieldset.querySelector(".poser-filter-to");
    var value = fieldset.querySelector(".poser-filter-value");
    if (to) { to.hidden = op.value !== "between"; }
    if (value) { value.hidden = op.value === "empty"; }
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(".poser-filter-op")) {
      syncFilter(event.target.closest(".poser-filter"));
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".poser-filter").forEach(syncFilter);
  });

  document.addEventListener("formdata", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("poser-grid-form")) { return; }
    var data = event.formData;
    form.querySelectorAll(".poser-filter").forEach(function (fieldset) {
      var op = fieldset.querySelector(".poser-filter-op");
      var fields = Array.prototype.filter.call(
        fieldset.querySelectorAll("input, select"), function (field) { return field !== op; });
      var chosen = op ? op.value : "";
      var filled = fields.some(function (field) {
        if (field.type === "checkbox") { return field.checked; }
        return field.value.trim() !== "" && !(field.classList.contains("poser-filter-to") && chosen !== "between");
      });
      fields.forEach(function (field) {
        var off = chosen === "empty" || !filled ||
          (field.classList.contains("poser-filter-to") && chosen !== "between");
        if (off) { data.delete(field.name); }
      });
      if (op && (!filled && chosen !== "empty" || op.selectedIndex === 0)) { data.delete(op.name); }
    });
    var blanks = [];
    data.forEach(function (value, name) {
      if (value === "" && data.getAll(name).every(function (v) { return v === ""; })) { blanks.push(name); }
    });
    blanks.forEach(function (name) { data.delete(name); });
  });
})();
