// Browser side of d2lblocks.show(): draws the rows and details computed in Python
// and writes back what the user clicked (expanded, selected) and typed (query).
function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function badge(name, help) {
  const b = el("span", "d2lpt-badge d2lpt-b-" + name, name);
  if (help) b.title = help;
  return b;
}

function fmt(x) {
  if (x === null || x === undefined) return "–";
  if (typeof x !== "number") return String(x);
  return Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toPrecision(4);
}

function histogram(hist) {
  const ns = "http://www.w3.org/2000/svg", w = 260, h = 80;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "d2lpt-hist");
  svg.setAttribute("width", w); svg.setAttribute("height", h + 14);
  const top = Math.max(1, ...hist.counts), bw = w / Math.max(1, hist.counts.length);
  hist.counts.forEach((c, i) => {
    const r = document.createElementNS(ns, "rect"), bh = (c / top) * h;
    r.setAttribute("x", i * bw); r.setAttribute("y", h - bh);
    r.setAttribute("width", Math.max(1, bw - 1)); r.setAttribute("height", bh);
    const t = document.createElementNS(ns, "title");
    t.textContent = `${fmt(hist.edges[i])} … ${fmt(hist.edges[i + 1])}: ${c}`;
    r.appendChild(t); svg.appendChild(r);
  });
  [[0, "start", hist.edges[0]], [w, "end", hist.edges[hist.edges.length - 1]]].forEach(([x, anchor, v]) => {
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", x); t.setAttribute("y", h + 12); t.setAttribute("text-anchor", anchor);
    t.setAttribute("font-size", "10"); t.textContent = fmt(v); svg.appendChild(t);
  });
  return svg;
}

function table(pairs) {
  const t = el("table");
  for (const [k, v] of pairs) {
    if (v === undefined || v === null || v === "") continue;
    const tr = el("tr");
    tr.append(el("td", "", k), el("td", "", v));
    t.appendChild(tr);
  }
  return t;
}

function drawDetails(box, d) {
  box.replaceChildren();
  if (!d || !d.kind) { box.append(el("div", "d2lpt-info", "Click a row to see its details.")); return; }
  box.append(el("div", "", d.path));
  (d.badges || []).forEach((b) => box.append(badge(b.name, b.help), el("div", "d2lpt-info", b.help)));
  if (d.kind === "module") {
    box.append(table([["type", d.type], ["parameters", d.params], ["own parameters", d.own_params],
      ["memory", d.bytes], ["buffers", d.buffers], ["invisible params", d.unregistered_params === "0" ? "" : d.unregistered_params],
      ["calls in forward", d.calls], ["get_submodule", d.module_path === null ? "" : JSON.stringify(d.module_path)],
      ["tensors", (d.tensors || []).map((t) => `${t.name} ${t.shape}`).join(", ")]]));
  } else if (d.kind === "tensor") {
    box.append(table([["role", d.role], ["shape", d.shape], ["dtype", d.dtype], ["device", d.device],
      ["elements", d.numel], ["memory", d.bytes], ["requires_grad", String(d.requires_grad)]]));
    if (d.stats) {
      const s = d.stats;
      box.append(table([["mean", fmt(s.mean)], ["std", fmt(s.std)], ["min", fmt(s.min)], ["max", fmt(s.max)],
        ["zeros", (100 * (s.zero_fraction || 0)).toFixed(1) + " %"], ["grad norm", s.grad_norm === null ? "no gradient" : fmt(s.grad_norm)]]));
      if (d.hist && d.hist.counts.length) box.append(histogram(d.hist));
    } else if (d.stats_error) box.append(el("div", "d2lpt-warn", d.stats_error));
  } else if (d.kind === "repeat") {
    box.append(table([["repeats", `${d.count} × ${d.type}`], ["parameters each", d.params_each], ["first", d.first]]));
  } else if (d.error) box.append(el("div", "d2lpt-warn", d.error));
  if ((d.shared_paths || []).length) box.append(el("div", "d2lpt-info", "also at " + d.shared_paths.join(", ")));
  if (d.consequence) box.append(el("div", "d2lpt-warn", d.consequence));
  if (d.fix) box.append(el("div", "d2lpt-warn", "fix: " + d.fix));
}

function render({ model, el: root }) {
  root.classList.add("d2lpt-w");
  const head = el("div", "d2lpt-head"), summary = el("span", "d2lpt-summary");
  const filter = el("input", "d2lpt-filter");
  filter.placeholder = "filter by path, e.g. weight or net[0]";
  filter.value = model.get("query");
  const notes = el("div"), body = el("div", "d2lpt-body");
  const tree = el("div", "d2lpt-tree"), box = el("div", "d2lpt-details");
  head.append(summary, filter);
  body.append(tree, box);
  root.append(head, notes, body);

  const drawHead = () => {
    summary.textContent = model.get("summary");
    notes.replaceChildren(...model.get("notes").map((n) => el("div", n.startsWith("Note:") ? "d2lpt-info" : "d2lpt-note", n)));
  };
  const drawRows = () => {
    const selected = model.get("selected");
    tree.replaceChildren(...model.get("rows").map((r) => {
      const row = el("div", "d2lpt-row" + (r.id && r.id === selected ? " d2lpt-selected" : ""));
      row.dataset.id = r.id; row.dataset.kind = r.kind;
      row.style.paddingLeft = 8 + 16 * r.depth + "px";
      row.append(el("span", "d2lpt-caret", r.expandable ? (r.open ? "▾" : "▸") : ""), el("span", "d2lpt-label", r.label));
      if (r.type) row.append(el("span", "d2lpt-type", r.type));
      if (r.info) row.append(el("span", "d2lpt-info", r.info));
      r.badges.forEach((b) => row.append(badge(b)));
      return row;
    }));
  };
  const onClick = (event) => {
    const row = event.target.closest(".d2lpt-row");
    if (!row || !row.dataset.id) return;
    const id = row.dataset.id, r = model.get("rows").find((x) => x.id === id);
    if (r && r.expandable) {
      const open = model.get("expanded");
      model.set("expanded", open.includes(id) ? open.filter((x) => x !== id) : [...open, id]);
    }
    model.set("selected", id);
    model.save_changes();
  };
  let timer = null;
  const onInput = () => {
    clearTimeout(timer);
    timer = setTimeout(() => { model.set("query", filter.value); model.save_changes(); }, 200);
  };
  tree.addEventListener("click", onClick);
  filter.addEventListener("input", onInput);
  const redrawDetails = () => drawDetails(box, model.get("details"));
  const syncQuery = () => { if (filter.value !== model.get("query")) filter.value = model.get("query"); };
  model.on("change:summary", drawHead); model.on("change:notes", drawHead);
  model.on("change:rows", drawRows); model.on("change:selected", drawRows);
  model.on("change:details", redrawDetails); model.on("change:query", syncQuery);
  drawHead(); drawRows(); redrawDetails();
  return () => {
    clearTimeout(timer);
    model.off("change:summary", drawHead); model.off("change:notes", drawHead);
    model.off("change:rows", drawRows); model.off("change:selected", drawRows);
    model.off("change:details", redrawDetails); model.off("change:query", syncQuery);
  };
}

export default { render };
