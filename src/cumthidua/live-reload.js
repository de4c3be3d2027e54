/* cumthidua serve: reload this page after each successful rebuild; show build errors on top of it.
   Injected by the development server only, never written into a built site. */
(function () {
  "use strict";
  var script = document.currentScript;
  var loadedBuild = script ? Number(script.getAttribute("data-build")) : 0;
  var overlay = null;

  function showErrors(errors, build) {
    if (!errors.length) {
      if (overlay) { overlay.remove(); overlay = null; }
      return;
    }
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "cumthidua-errors";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2rem;" +
        "background:rgba(24,24,24,.94);color:#fff;font:15px/1.5 ui-monospace,monospace;";
      document.body.appendChild(overlay);
    }
    overlay.textContent = "";
    var heading = document.createElement("h2");
    heading.textContent = "Không dựng được trang (build failed)";
    heading.style.cssText = "color:#ff8a80;margin:0 0 1rem;font-size:1.3rem;";
    var list = document.createElement("pre");
    list.style.cssText = "white-space:pre-wrap;margin:0 0 1rem;";
    list.textContent = errors.join("\n");
    var hint = document.createElement("p");
    hint.textContent = (build > 0 ? "Phía sau là bản dựng tốt gần nhất. " : "Chưa có bản dựng nào thành công. ") +
      "Sửa tệp và lưu lại: trang sẽ tự tải lại.";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Đóng (close)";
    close.style.cssText = "font:inherit;padding:.3rem .8rem;cursor:pointer;";
    close.addEventListener("click", function () { overlay.remove(); overlay = null; });
    overlay.appendChild(heading);
    overlay.appendChild(list);
    overlay.appendChild(hint);
    overlay.appendChild(close);
    close.focus();
  }

  function onState(state) {
    if (state.build > 0 && state.build !== loadedBuild) {
      window.location.reload();
      return;
    }
    showErrors(state.errors, state.build);
  }

  // Short polling rather than the /__cumthidua/events stream: over HTTP/1.1 a browser keeps at most
  // six connections to one server, so a stream per open tab would freeze the seventh tab.
  function poll() {
    fetch("/__cumthidua/status", { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(onState)
      .catch(function () { /* the server is restarting: keep asking */ })
      .then(function () { window.setTimeout(poll, 500); });
  }
  poll();
})();
