/* The campaign page, live. Every few seconds progress.json answers with all the figures of
   the page that change while it sends (campaigns/reporting/campaign_live.py), and each element that
   shows one names it:
     data-live="a.b"        its text (a path in the answer; "–" when empty)
     data-live-width="a"    a bar's width, in percent
     data-live-show="a"     shown when the value is set, hidden otherwise
     data-live-rows="a"     a list, rebuilt from its <template> (and <template data-empty>),
                            whose [data-field] elements take each item's fields as text,
                            and [data-href] links as their address
     data-live-chart="a"    a block whose chart takes the data of charts.a
   Action buttons (a[data-action]) that no longer apply are hidden. Polling stops when the
   campaign is over. Nothing here writes: it only reads progress.json. */
(function () {
  "use strict";

  const root = document.querySelector("[data-live-url]");
  if (!root) return;
  const url = root.dataset.liveUrl;
  const every = Number(root.dataset.liveSeconds || 3) * 1000;

  function valueAt(data, path) {
    return path.split(".").reduce((value, key) => (value == null ? value : value[key]), data);
  }

  function shown(value) {
    return value !== null && value !== undefined && value !== "" && value !== 0 && value !== false;
  }

  function text(value, max) {
    let words = value === null || value === undefined || value === "" ? "–" : String(value);
    if (max && words.length > max) words = words.slice(0, max - 1) + "…";
    return words;
  }

  function fillRows(list, items) {
    const row = list.querySelector("template:not([data-empty])");
    const empty = list.querySelector("template[data-empty]");
    for (const child of Array.from(list.children)) {
      if (child.tagName !== "TEMPLATE") child.remove();
    }
    if (!items.length && empty) list.append(empty.content.cloneNode(true));
    for (const item of items) {
      const copy = row.content.cloneNode(true);
      for (const field of copy.querySelectorAll("[data-field]")) {
        field.textContent = text(item[field.dataset.field], Number(field.dataset.max || 0));
      }
      for (const link of copy.querySelectorAll("[data-href]")) {
        link.setAttribute("href", item[link.dataset.href] || "#");
      }
      list.append(copy);
    }
  }

  function drawChart(block, value) {
    const canvas = block.querySelector("canvas");
    const chart = canvas && window.Chart ? window.Chart.getChart(canvas) : null;
    if (!chart || !value) return;
    // Only the figures change: colours, legend and axes stay as the page drew them.
    chart.data.labels = value.labels;
    value.datasets.forEach((dataset, index) => {
      if (chart.data.datasets[index]) chart.data.datasets[index].data = dataset.data;
    });
    chart.update("none");
  }

  function apply(data) {
    for (const element of root.querySelectorAll("[data-live]")) {
      element.textContent = text(valueAt(data, element.dataset.live));
    }
    for (const element of root.querySelectorAll("[data-live-width]")) {
      element.style.width = (valueAt(data, element.dataset.liveWidth) || 0) + "%";
      const bar = element.closest("[role=progressbar]");
      if (bar) bar.setAttribute("aria-valuenow", valueAt(data, element.dataset.liveWidth) || 0);
    }
    for (const element of root.querySelectorAll("[data-live-show]")) {
      element.style.display = shown(valueAt(data, element.dataset.liveShow)) ? "" : "none";
    }
    for (const list of root.querySelectorAll("[data-live-rows]")) {
      fillRows(list, valueAt(data, list.dataset.liveRows) || []);
    }
    for (const block of root.querySelectorAll("[data-live-chart]")) {
      drawChart(block, valueAt(data, "charts." + block.dataset.liveChart));
    }
    for (const link of document.querySelectorAll("a[data-action]")) {
      const item = link.closest("li") || link;
      item.style.display = data.actions.includes(link.dataset.action) ? "" : "none";
    }
  }

  async function refresh() {
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) {
        const data = await response.json();
        apply(data);
        if (!data.live) return; // over: nothing changes any more
      }
    } catch (error) {
      /* offline for a moment: try again */
    }
    setTimeout(refresh, every);
  }

  setTimeout(refresh, every);
})();
