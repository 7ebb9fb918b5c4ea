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
