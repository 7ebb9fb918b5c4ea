// Inline rows (deform sequences as tables): add and remove without inline
// handlers, so the Content-Security-Policy can forbid inline script.
(function () {
  "use strict";

  function itemsOf(seq) {
    return Array.prototype.slice.call(seq.querySelectorAll(".deform-seq-container > .deform-seq-item"));
  }

  function refresh(seq) {
    var items = itemsOf(seq), rows = items.length;
    var count = seq.querySelector(".poser-row-count");
    if (count && count.textContent !== String(rows)) { count.textContent = rows; }
    var empty = seq.querySelector(".poser-empty-note");
    if (empty) { empty.hidden = rows > 0; }
    // Each Remove button names its row ("Remove component row 3"), renumbered as rows come and go.
    items.forEach(function (item, index) {
      var button = item.querySelector(".poser-seq-remove");
      if (button) {
        button.setAttribute("aria-label", "Remove " + (button.dataset.rowTitle || "row") + " row " + (index + 1));
      }
    });
  }

  function firstInput(item) {
    return item && item.querySelector("input:not([type=hidden]), select, textarea");
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
      var first = rows.length && firstInput(rows[rows.length - 1]);
      if (first) { first.focus(); }
    } else if (remove) {
      event.preventDefault();
      var seqOfRow = remove.closest(".deform-seq");
      var item = remove.closest(".deform-seq-item");
      var items = itemsOf(seqOfRow), at = items.indexOf(item);
      deform.removeSequenceItem(remove);
      refresh(seqOfRow);
      // The focus goes to the next row's first field (else the previous row's), else to Add.
      var left = itemsOf(seqOfRow);
      var next = firstInput(left[Math.min(at, left.length - 1)]) || seqOfRow.querySelector(".poser-seq-add");
      if (next) { next.focus(); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".poser-inline").forEach(refresh);
    // A form that was not saved: the focus goes to its error summary.
    var summary = document.querySelector(".poser-error-summary");
    if (summary) { summary.focus(); }
  });

  // A link of the error summary focuses its field (the browser would only scroll to it).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".poser-error-summary a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      field.focus();
      field.scrollIntoView({block: "center"});
    }
  });
})();

// Search-as-you-type pickers (templates/deform/picker.pt): a combobox whose
// matches come from the form's JSON lookup route; the choice goes into the
// hidden input beside it. Keyboard: type, Down/Up to move, Enter to pick,
// Escape to close.
(function () {
  "use strict";

  function setup(picker) {
    var input = picker.querySelector(".poser-picker-input");
    var hidden = picker.querySelector(".poser-picker-value");
    var list = picker.querySelector(".poser-picker-list");
    var status = picker.querySelector(".poser-picker-status");
    var timer = null, active = -1, options = [], asked = 0, chosenLabel = input.value;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      options.forEach(function (option, i) {
        option.classList.toggle("active", i === index);
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({block: "nearest"});
      }
    }

    function choose(option) {
      hidden.value = option.dataset.value;
      input.value = chosenLabel = option.textContent;
      close();
      status.textContent = "Chosen: " + option.textContent;
    }

    function show(data) {
      list.textContent = "";
      options = data.results.map(function (result, i) {
        var item = document.createElement("li");
        item.id = input.id + "-option-" + i;
        item.className = "list-group-item list-group-item-action";
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dataset.value = result.value;
        item.textContent = result.label;
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();  // keep the focus in the box
          choose(item);
        });
        list.appendChild(item);
        return item;
      });
      if (!options.length) {
        var none = document.createElement("li");
        none.className = "list-group-item text-muted";
        none.textContent = "No matches";
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = options.length + (data.more ? " or more" : "") + " matches";
    }

    function search() {
      var ask = ++asked;
      fetch(picker.dataset.lookup + "?q=" + encodeURIComponent(input.value.trim()),
            {headers: {Accept: "application/json"}, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : {results: []}; })
        .then(function (data) { if (ask === asked) { show(data); } })
        .catch(function () { status.textContent = "Could not search just now."; });
    }

    input.addEventListener("input", function () {
      if (!input.value.trim()) {
        hidden.value = "";  // cleared: no choice
        chosenLabel = "";
      }
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { search(); return; }
        if (!options.length) { return; }
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + options.length) % options.length);
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();  // pick, don't submit
        choose(options[active]);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      close();
      if (input.value.trim() && input.value !== chosenLabel) {
        input.value = chosenLabel;  // typed text that was never picked is not a choice
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".poser-picker").forEach(setup);
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
