// Reader: hovering or clicking a sentence highlights its counterpart in the other language.
// Sentences carry data-s (their index); both columns use the same index. No inline handlers (CSP).
(function () {
  "use strict";
  function same(index) {
    return document.querySelectorAll('.reader .s[data-s="' + index + '"]');
  }
  function setClass(index, name, on) {
    same(index).forEach(function (el) { el.classList.toggle(name, on); });
  }
  function clearPinned() {
    document.querySelectorAll(".reader .s.pinned").forEach(function (el) { el.classList.remove("pinned"); });
  }
  function pin(el) {
    var index = el.getAttribute("data-s");
    var wasPinned = el.classList.contains("pinned");
    clearPinned();
    if (wasPinned) { return; }
    setClass(index, "pinned", true);
    same(index).forEach(function (other) {
      if (other !== el && other.getBoundingClientRect) {
        var r = other.getBoundingClientRect();
        if (r.top < 0 || r.bottom > window.innerHeight) { other.scrollIntoView({block: "nearest"}); }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var reader = document.querySelector(".reader.bilingual");
    if (!reader) { return; }
    reader.addEventListener("mouseover", function (ev) {
      var el = ev.target.closest(".s[data-s]");
      if (el) { setClass(el.getAttribute("data-s"), "hover", true); }
    });
    reader.addEventListener("mouseout", function (ev) {
      var el = ev.target.closest(".s[data-s]");
      if (el) { setClass(el.getAttribute("data-s"), "hover", false); }
    });
    reader.addEventListener("click", function (ev) {
      if (ev.target.closest("a")) { return; }
      var el = ev.target.closest(".s[data-s]");
      if (el) { pin(el); }
    });
    reader.addEventListener("keydown", function (ev) {
      if (ev.key !== "Enter" && ev.key !== " ") { return; }
      var el = ev.target.closest(".s[data-s]");
      if (el) { ev.preventDefault(); pin(el); }
    });
    if (location.hash && /^#s\d+$/.test(location.hash)) {
      var target = document.getElementById(location.hash.slice(1));
      if (target) { pin(target); }
    }
  });
})();
