// Browser side of d2lblocks.show(): draws the rows and details computed in Python
// and writes back what the user clicked (expanded, selected) and typed (query).
// Every word it shows comes from the `labels` state, in the language chosen in Python.
function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function badge(labels, name, help) {
  const b = el("span", "d2lpt-badge d2lpt-b-" + name, (labels.badges || {})[name] || name);
  if (help) b.title = help;
  return b;
}

// "also at {paths}" with {paths} filled: the catalogue's placeholders, filled here.
function fill(template, fields) {
  return String(template).replace(/\{(\w+)\}/g, (whole, key) => (key in fields ? fields[key] : whole));
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

function drawDetails(box, d, L) {
  box.replaceChildren();
  if (!d || !d.kind) { box.append(el("div", "d2lpt-info", L.details_hint)); return; }
  box.append(el("div", "", d.path));
  (d.badges || []).forEach((b) => box.append(badge(L, b.name, b.help), el("div", "d2lpt-info", b.help)));
  if (d.kind === "module") {
    box.append(table([[L.type, d.type], [L.parameters, d.params], [L.own_parameters, d.own_params],
      [L.memory, d.bytes], [L.buffers, d.buffers], [L.invisible_params, d.unregistered_params === "0" ? "" : d.unregistered_params],
      [L.calls, d.calls], ["get_submodule", d.module_path === null ? "" : JSON.stringify(d.module_path)],
      [L.tensors, (d.tensors || []).map((t) => `${t.name} ${t.shape}`).join(", ")]]));
  } else if (d.kind === "tensor") {
    box.append(table([[L.role, (L.roles || {})[d.role] || d.role], [L.shape, d.shape], ["dtype", d.dtype],
      ["device", d.device], [L.elements, d.numel], [L.memory, d.bytes], ["requires_grad", String(d.requires_grad)]]));
    if (d.stats) {
      const s = d.stats;
      box.append(table([[L.mean, fmt(s.mean)], [L.std, fmt(s.std)], [L.min, fmt(s.min)], [L.max, fmt(s.max)],
        [L.zeros, (100 * (s.zero_fraction || 0)).toFixed(1) + " %"], [L.grad_norm, s.grad_norm === null ? L.no_gradient : fmt(s.grad_norm)]]));
      if (d.hist && d.hist.counts.length) box.append(histogram(d.hist));
    } else if (d.stats_error) box.append(el("div", "d2lpt-warn", d.stats_error));
  } else if (d.kind === "repeat") {
    box.append(table([[L.repeats, `${d.count} × ${d.type}`], [L.parameters_each, d.params_each], [L.first, d.first]]));
  } else if (d.error) box.append(el("div", "d2lpt-warn", d.error));
  if ((d.shared_paths || []).length) box.append(el("div", "d2lpt-info", fill(L.also_at, { paths: d.shared_paths.join(", ") })));
  if (d.consequence) box.append(el("div", "d2lpt-warn", d.consequence));
  if (d.fix) box.append(el("div", "d2lpt-warn", fill(L.fix, { fix: d.fix })));
}

function render({ model, el: root }) {
  root.classList.add("d2lpt-w");
  const head = el("div", "d2lpt-head"), summary = el("span", "d2lpt-summary");
  const filter = el("input", "d2lpt-filter");
  filter.value = model.get("query");
  const notes = el("div"), body = el("div", "d2lpt-body");
  const tree = el("div", "d2lpt-tree"), box = el("div", "d2lpt-details");
  head.append(summary, filter);
  body.append(tree, box);
  root.append(head, notes, body);

  const labels = () => model.get("labels") || {};
  const drawHead = () => {
    const warnings = model.get("note_warnings") || [];
    filter.placeholder = labels().filter || "";
    root.lang = labels().lang || "";
    summary.textContent = model.get("summary");
    notes.replaceChildren(...model.get("notes").map((n, i) => el("div", warnings[i] === false ? "d2lpt-info" : "d2lpt-note", n)));
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
      r.badges.forEach((b) => row.append(badge(labels(), b)));
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
  const redrawDetails = () => drawDetails(box, model.get("details"), labels());
  const redrawAll = () => { drawHead(); drawRows(); redrawDetails(); };
  const syncQuery = () => { if (filter.value !== model.get("query")) filter.value = model.get("query"); };
  model.on("change:summary", drawHead); model.on("change:notes", drawHead); model.on("change:note_warnings", drawHead);
  model.on("change:rows", drawRows); model.on("change:selected", drawRows);
  model.on("change:details", redrawDetails); model.on("change:query", syncQuery); model.on("change:labels", redrawAll);
  redrawAll();
  return () => {
    clearTimeout(timer);
    model.off("change:summary", drawHead); model.off("change:notes", drawHead); model.off("change:note_warnings", drawHead);
    model.off("change:rows", drawRows); model.off("change:selected", drawRows);
    model.off("change:details", redrawDetails); model.off("change:query", syncQuery); model.off("change:labels", redrawAll);
  };
}

export default { render };
