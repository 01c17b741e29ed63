// resgen HTML view: layout, pan/zoom, fold/unfold, details, summary table, search, SVG export.
// Written for this page; no library. Residual networks are series-parallel, so each
// block lays out as a main column, a shortcut column (or a lane for identity), a join
// and what follows it; stages and runs stack their items on one vertical spine.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("resgen-data").textContent);
  var N = DATA.nodes, E = DATA.edges;
  var SVGNS = "http://www.w3.org/2000/svg";
  var FONT = 'system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif';
  var GAP = 22, PAD = 10, PAD_BOTTOM = 16, HEADER = 20, COL_GAP = 34, LANE = 34, LINE = 14;

  // ------------------------------------------------------------------ the hierarchy
  // DATA.tree is the unrolled tree; DATA.runs the runs of identical blocks that the
  // rolled view folds into one group each (named by their block keys, in order).
  var tree = DATA.tree;     // the tree drawn now: unrolled, or rolled
  var rolled = false;
  var groups = {};          // key -> group
  var parentOf = {};        // group key -> parent group key (or null)
  var chainOf = [];         // node index -> group keys, outermost first
  var blockOf = [];         // node index -> block group (or null)
  var order = [];           // group keys in data-flow order
  var runAt = {};           // first block key -> its run
  DATA.runs.forEach(function (run) { runAt[run.blocks[0]] = run; });
  function rollUp(items) {  // the same items, each run of identical blocks folded
    var out = [];
    for (var k = 0; k < items.length; k++) {
      var it = items[k];
      if (typeof it === "number") { out.push(it); continue; }
      var run = runAt[it.key];
      if (run) {
        out.push(Object.assign({}, run, { items: items.slice(k, k + run.blocks.length) }));
        k += run.blocks.length - 1;
      } else if (it.k === "block") out.push(it);
      else out.push(Object.assign({}, it, { items: rollUp(it.items) }));
    }
    return out;
  }
  var rolledTree = null;    // built on first use
  function useTree(roll) {
    rolled = !!roll && DATA.runs.length > 0;
    tree = rolled ? rolledTree || (rolledTree = rollUp(DATA.tree)) : DATA.tree;
    groups = {}; parentOf = {}; chainOf = []; blockOf = []; order = [];
    walk(tree, []);
  }
  function walk(items, chain) {
    items.forEach(function (item) {
      if (typeof item === "number") {
        chainOf[item] = chain;
        var b = null;
        for (var i = chain.length - 1; i >= 0; i--) { if (groups[chain[i]].k === "block") { b = groups[chain[i]]; break; } }
        blockOf[item] = b;
        return;
      }
      groups[item.key] = item;
      order.push(item.key);
      parentOf[item.key] = chain.length ? chain[chain.length - 1] : null;
      walk(item.items, chain.concat([item.key]));
    });
  }
  useTree(DATA.roll);
  var shortName = N.map(function (n, i) {
    var b = blockOf[i];
    return b && n.id.indexOf(b.n + ".") === 0 ? n.id.slice(b.n.length + 1) : n.id;
  });

  var expanded = {};
  function setLevel(level) {
    expanded = {};
    order.forEach(function (key) {
      var k = groups[key].k;
      if (level === "layer" || (level === "block" && (k === "stage" || k === "stem" || k === "head"))) expanded[key] = true;
    });
  }
  setLevel(DATA.level);

  // ------------------------------------------------------------------ text helpers
  var ctx = document.createElement("canvas").getContext("2d");
  var widthCache = {};
  function textWidth(text, size, bold) {
    var key = (bold ? "b" : "") + size + "|" + text;
    if (!(key in widthCache)) {
      ctx.font = (bold ? "bold " : "") + size + "px " + FONT;
      widthCache[key] = ctx.measureText(text).width;
    }
    return widthCache[key];
  }
  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function compact(x) {
    var units = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "K"]];
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(x) >= units[i][0]) {
        var v = x / units[i][0];
        return (v < 1000 ? Number(v.toPrecision(3)) : Math.round(v)) + units[i][1];
      }
    }
    return String(x);
  }
  var NUMBER = new Intl.NumberFormat("en-US");  // much faster than toLocaleString per call
  function commas(x) { return NUMBER.format(x); }
  function bytes(x) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
    return (i ? x.toFixed(1) : x) + " " + units[i];
  }

  // ------------------------------------------------------------------ layout
  function joinText(n) {
    var j = DATA.joins[n.op];
    var text = j ? (n.op === "add" ? j.symbol : j.symbol + " " + n.op) : n.op;
    return n.jl ? n.jl + " " + text : text;  // the shortcut's option letter, as in DOT
  }
  function nodeLines(i) {
    var n = N[i];
    if (n.op === "input") return [n.d];
    return n.d === shortName[i] ? [shortName[i]] : [shortName[i], n.d];
  }
  function groupTitle(g) {
    if (g.k === "run") return g.n + "  ×" + g.c + " " + g.t;
    if (g.k === "block") return g.n + " · " + g.t;
    if (g.k === "stage") return g.n + " · " + g.c + " × " + (g.t || "blocks");
    return g.n;
  }
  function groupLines(g) {
    var lines = [groupTitle(g)];
    lines.push(g.ch ? "◆ " + g.in + " → " + g.out : (g.k === "block" || g.k === "run" ? g.out : g.in + " → " + g.out));
    if (g.k === "block" || g.k === "run") lines.push(g.sct);
    if (g.k === "stem" || g.k === "head") {
      lines.push(allNodes(g).map(function (i) { return N[i].op; }).join(", "));
    }
    lines.push(g.sum);
    return lines;
  }
  function allNodes(g) {
    var out = [];
    (function rec(items) { items.forEach(function (it) { if (typeof it === "number") out.push(it); else rec(it.items); }); })(g.items);
    return out;
  }
  function clusterHeader(g) {
    var text = "▾ " + groupTitle(g);
    if (g.k === "stage" || g.k === "stem" || g.k === "head") text += "   " + g.in + " → " + g.out;
    if (g.ch) text += "   ◆ " + g.in + " → " + g.out;
    if (g.k === "run") text += "   (" + g.c + " identical blocks)";
    return text;
  }

  function measureNode(i) {
    var n = N[i];
    if (n.j) {
      var w = Math.max(26, textWidth(joinText(n), 12, false) + 16);
      return { t: "node", i: i, w: w, h: 24, L: w / 2, R: w / 2 };
    }
    var lines = nodeLines(i);
    var tw = Math.max.apply(null, lines.map(function (s, k) { return textWidth(s, k === 0 ? 11 : 10, false); }));
    var width = Math.max(54, tw + 18);
    return { t: "node", i: i, w: width, h: LINE * lines.length + 8, L: width / 2, R: width / 2, lines: lines };
  }
  function column(boxes) {
    var c = { boxes: boxes, L: 0, R: 0, h: 0 };
    boxes.forEach(function (b, k) { c.L = Math.max(c.L, b.L); c.R = Math.max(c.R, b.R); c.h += b.h + (k ? GAP : 0); });
    return c;
  }
  function build(item) {
    if (typeof item === "number") return measureNode(item);
    var g = item;
    if (!expanded[g.key]) {
      var lines = groupLines(g);
      var tw = Math.max.apply(null, lines.map(function (s, k) { return textWidth(s, 11, k === 0); }));
      var w = tw + 26;
      return { t: "group", g: g, w: w, h: LINE * lines.length + 12, L: w / 2, R: w / 2, lines: lines };
    }
    var head = textWidth(clusterHeader(g), 11, true) + 20;
    if (g.k === "block") return buildBlock(g, head);
    var col = column(g.items.map(build));
    var box = { t: "cluster", g: g, col: col, L: col.L + PAD, R: col.R + PAD, h: HEADER + PAD + col.h + PAD_BOTTOM };
    if (box.L + box.R < head) box.R = head - box.L;
    return box;
  }
  function buildBlock(g, head) {
    // main column on the spine; then, to its right, the identity lane or the shortcut
    // column, then any other branch (a gate's T(x), ...); the join and `post` below.
    var parts = { main: [], join: [], post: [] }, sides = [];
    g.items.forEach(function (it) {
      if (typeof it !== "number") { parts.main.push(build(it)); return; }
      var n = N[it];
      var where = n.j ? "join" : !n.br ? "main" : n.br;
      if (!parts[where]) { parts[where] = []; sides.push(where); }
      parts[where].push(measureNode(it));
    });
    var main = column(parts.main), join = column(parts.join), post = column(parts.post);
    if (g.sc && !parts.shortcut) sides.unshift("lane");
    else if (parts.shortcut) sides.sort(function (a, b) { return (b === "shortcut") - (a === "shortcut"); });
    var cols = sides.map(function (name) { return { name: name, col: name === "lane" ? null : column(parts[name]) }; });
    var side = 0, high = main.h;
    cols.forEach(function (c) {
      side += c.col ? COL_GAP + c.col.L + c.col.R : LANE;
      if (c.col) high = Math.max(high, c.col.h);
    });
    var box = {
      t: "block", g: g, main: main, cols: cols, join: join, post: post, high: high,
      L: Math.max(main.L, join.L, post.L) + PAD,
      R: Math.max(main.R + side, join.R, post.R) + PAD,
      h: HEADER + PAD + high + (join.boxes.length ? GAP + join.h : 0) +
         (post.boxes.length ? GAP + post.h : 0) + PAD_BOTTOM
    };
    if (box.L + box.R < head) box.R = head - box.L;
    return box;
  }

  var at = {};       // visible id (node index or group key) -> {x, y, w, h}
  var lanes = {};    // block key -> x of the identity-shortcut lane
  var clusters = []; // expanded groups, outermost first
  var visible = [];  // drawn boxes (nodes and folded groups)
  function placeColumn(col, x, y) {
    col.boxes.forEach(function (b) { place(b, x, y); y += b.h + GAP; });
  }
  function place(box, x, y) {
    if (box.t === "node" || box.t === "group") {
      var id = box.t === "node" ? box.i : box.g.key;
      at[id] = { x: x, y: y, w: box.w, h: box.h };
      box.x = x; box.y = y;
      visible.push(box);
      return;
    }
    clusters.push({ box: box, x0: x - box.L, y0: y, w: box.L + box.R, h: box.h });
    var top = y + HEADER + PAD;
    if (box.t === "cluster") { placeColumn(box.col, x, top); return; }
    placeColumn(box.main, x, top);
    var cursor = x + box.main.R;
    box.cols.forEach(function (c) {
      if (!c.col) { lanes[box.g.key] = cursor + LANE / 2; cursor += LANE; return; }
      cursor += COL_GAP;
      placeColumn(c.col, cursor + c.col.L, top + Math.max(0, (box.main.h - c.col.h) / 2));
      cursor += c.col.L + c.col.R;
    });
    var below = top + box.high + GAP;
    if (box.join.boxes.length) { placeColumn(box.join, x, below); below += box.join.h + GAP; }
    if (box.post.boxes.length) placeColumn(box.post, x, below);
  }

  var root = null;
  function layout() {
    at = {}; lanes = {}; clusters = []; visible = [];
    var col = column(tree.map(build));
    root = { L: col.L + 20, R: col.R + 20, h: col.h + 40 };
    placeColumn(col, root.L, 20);
  }

  // ------------------------------------------------------------------ drawing
  function rep(i) {
    var chain = chainOf[i];
    for (var k = 0; k < chain.length; k++) { if (!expanded[chain[k]]) return chain[k]; }
    return i;
  }
  // the line style of an edge: a shortcut kind, or an extra branch (gate), or "" (main)
  function edgeStyle(e) {
    if (e[2]) return e[2];
    var br = e[4] || N[e[1]].br;
    if (br === "shortcut") { var b = blockOf[e[1]]; return (b && b.sc) || "shortcut"; }
    if (br && br !== "main" && br !== "post") return "branch-" + br;
    return "";
  }
  var LINES = {};
  Object.keys(DATA.shortcuts).forEach(function (k) { LINES[k] = DATA.shortcuts[k]; });
  Object.keys(DATA.branches).forEach(function (k) { LINES["branch-" + k] = DATA.branches[k]; });
  function markerId(kind) { return "arrow-" + (LINES[kind] ? kind : "main"); }
  function defs() {
    var out = ['<marker id="arrow-main" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,1 L10,5 L0,9 z" fill="#555"/></marker>'];
    Object.keys(LINES).forEach(function (kind) {
      out.push('<marker id="arrow-' + kind + '" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,1 L10,5 L0,9 z" fill="' + LINES[kind].color + '"/></marker>');
    });
    return "<defs>" + out.join("") + "</defs>";
  }
  var SVG_STYLE = "<style>" +
    "text{font-family:" + FONT.replace(/"/g, "'") + ";fill:var(--text,#222)}" +
    ".node text{fill:#222}" +
    ".node rect,.node ellipse{stroke:#666;stroke-width:1}" +
    ".node .sub{font-size:10px;fill:#333}" +
    ".node,.group{cursor:pointer}" +
    ".group rect.box{stroke-width:2}" +
    ".cluster rect{fill:var(--cluster,#fafafa);stroke:var(--border,#999)}" +
    ".cluster.block rect{fill:var(--block,#fff);stroke:var(--border,#aaa)}" +
    ".cluster.change rect{stroke:" + DATA.change + ";stroke-width:2}" +
    ".cluster.run rect{stroke-dasharray:6 3}" +
    ".hdr{font-size:11px;font-weight:bold;cursor:pointer;paint-order:stroke;stroke:var(--bg,#fff);stroke-width:3px;stroke-linejoin:round}" +
    ".hdr .shp{font-weight:normal;fill:#555}" +
    ".edge{fill:none;stroke:var(--edge,#555);stroke-width:1.2}" +
    ".elabel{font-size:9px;fill:var(--edge-text,#555);paint-order:stroke;stroke:var(--bg,#fff);stroke-width:3px;stroke-linejoin:round}" +
    ".hit rect,.hit ellipse{stroke:#ff8c00!important;stroke-width:3!important}" +
    "</style>";

  function drawNode(box) {
    var n = N[box.i], x0 = box.x - box.w / 2, y0 = box.y, color = DATA.colors[n.op] || "#eee";
    var cls = "node op-" + esc(n.op) + (box.i === selected ? " hit" : "");
    var s = '<g class="' + cls + '" data-node="' + box.i + '">';
    if (n.j) {
      s += '<ellipse cx="' + box.x + '" cy="' + (y0 + box.h / 2) + '" rx="' + box.w / 2 + '" ry="' + box.h / 2 + '" fill="#fff"/>';
      s += '<text x="' + box.x + '" y="' + (y0 + box.h / 2 + 4) + '" text-anchor="middle" font-size="12">' + esc(joinText(n)) + "</text>";
    } else {
      s += '<rect x="' + x0 + '" y="' + y0 + '" width="' + box.w + '" height="' + box.h + '" rx="6" fill="' + color + '"/>';
      box.lines.forEach(function (line, k) {
        s += '<text x="' + box.x + '" y="' + (y0 + 15 + k * LINE) + '" text-anchor="middle"' + (k ? ' class="sub"' : ' font-size="11"') + ">" + esc(line) + "</text>";
      });
    }
    return s + "</g>";
  }
  function drawGroup(box) {
    var g = box.g, x0 = box.x - box.w / 2, y0 = box.y;
    var line = DATA.shortcuts[g.sc] || null;
    var stroke = line ? line.color : "#777", dash = line && line.dash ? ' stroke-dasharray="' + line.dash + '"' : "";
    var s = '<g class="group g-' + g.k + '" data-group="' + esc(g.key) + '">';
    if (g.ch) s += '<rect x="' + (x0 - 4) + '" y="' + (y0 - 4) + '" width="' + (box.w + 8) + '" height="' + (box.h + 8) + '" rx="9" fill="none" stroke="' + DATA.change + '" stroke-width="1.5"/>';
    s += '<rect class="box" x="' + x0 + '" y="' + y0 + '" width="' + box.w + '" height="' + box.h + '" rx="7" style="fill:var(--group,#f2f2f2)" stroke="' + stroke + '"' + dash + "/>";
    box.lines.forEach(function (text, k) {
      var attrs = k === 0 ? ' font-weight="bold" font-size="11"' : ' font-size="11"';
      if (k === 1 && g.ch) attrs += ' fill="' + DATA.change + '"';
      s += '<text x="' + box.x + '" y="' + (y0 + 16 + k * LINE) + '" text-anchor="middle"' + attrs + ">" + esc((k === 0 ? "▸ " : "") + text) + "</text>";
    });
    return s + "</g>";
  }
  function drawCluster(c) {
    var g = c.box.g;
    var cls = "cluster " + g.k + (g.ch ? " change" : "");
    return '<g class="' + cls + '" data-cluster="' + esc(g.key) + '"><rect x="' + c.x0 + '" y="' + c.y0 + '" width="' + c.w + '" height="' + c.h + '" rx="8"/></g>';
  }
  // drawn after the edges, its halo in the background colour: an edge passes behind it
  function drawHeader(c) {
    var g = c.box.g;
    return '<text class="hdr" data-toggle="' + esc(g.key) + '" x="' + (c.x0 + 8) + '" y="' + (c.y0 + 14) + '"' + (g.ch ? ' fill="' + DATA.change + '"' : "") + ">" + esc(clusterHeader(g)) + "</text>";
  }
  // the shape labels an edge only where it changes, once: on the main edge where it forks
  function pendingMain(a, e) {
    return E.some(function (f) { return f !== e && rep(f[0]) === a && rep(f[1]) !== a && !(typeof rep(f[1]) === "number" && edgeStyle(f)); });
  }
  function drawEdges() {
    var seen = {}, labelled = {}, out = [], labels = [];
    E.forEach(function (e) {
      var a = rep(e[0]), b = rep(e[1]);
      if (a === b || seen[a + ">" + b]) return;
      seen[a + ">" + b] = true;
      var pa = at[a], pb = at[b];
      if (!pa || !pb) return;
      var kind = typeof b === "number" ? edgeStyle(e) : "";
      var x1 = pa.x, y1 = pa.y + pa.h, x2 = pb.x, y2 = pb.y, d;
      var blk = typeof b === "number" ? blockOf[b] : null;
      if (kind === "identity" && blk && lanes[blk.key] !== undefined && N[b].j) {
        var lx = lanes[blk.key], ym = pb.y + pb.h / 2, xr = pb.x + pb.w / 2;
        d = "M" + x1 + "," + y1 + " C" + x1 + "," + (y1 + 14) + " " + lx + "," + (y1 + 4) + " " + lx + "," + (y1 + 22) +
            " L" + lx + "," + (ym - 14) + " C" + lx + "," + ym + " " + lx + "," + ym + " " + (xr + 2) + "," + ym;
      } else if (typeof b === "number" && N[b].j && x1 > pb.x + pb.w / 2) {
        var yj = pb.y + pb.h / 2, xj = pb.x + pb.w / 2 + 2;
        d = "M" + x1 + "," + y1 + " C" + x1 + "," + yj + " " + x1 + "," + yj + " " + xj + "," + yj;
      } else if (Math.abs(x1 - x2) < 1) {
        d = "M" + x1 + "," + y1 + " L" + x2 + "," + (y2 - 1);
      } else {
        var my = (y1 + y2) / 2;
        d = "M" + x1 + "," + y1 + " C" + x1 + "," + my + " " + x2 + "," + my + " " + x2 + "," + (y2 - 1);
      }
      var line = kind ? LINES[kind] || { color: "#7f7f7f", width: 1.4, dash: "" } : null;
      var style = line ? ' style="stroke:' + line.color + ";stroke-width:" + line.width + (line.dash ? ";stroke-dasharray:" + line.dash : "") + '"' : "";
      out.push('<path class="edge' + (kind ? " sc-" + esc(kind) : "") + '" data-edge="' + e[0] + "-" + e[1] + '" d="' + d + '"' + style + ' marker-end="url(#' + markerId(kind) + ')"/>');
      var changes = typeof a === "number" ? N[a].op === "input" || N[a].i !== N[a].s : groups[a].in !== groups[a].out;
      if (changes && !labelled[a] && !(kind && kind !== "main" && pendingMain(a, e))) {
        labelled[a] = true;
        labels.push('<text class="elabel" x="' + (x1 + 5) + '" y="' + (y1 + 11) + '">' + esc(N[e[0]].s) + "</text>");
      }
    });
    return out.join("") + labels.join("");
  }

  var content = "", selected = -1;
  var svg = document.getElementById("diagram");
  var view = { x: 0, y: 0, k: 1 };
  function render() {
    layout();
    var parts = [];
    clusters.forEach(function (c) { parts.push(drawCluster(c)); });
    parts.push(drawEdges());
    clusters.forEach(function (c) { parts.push(drawHeader(c)); });
    visible.forEach(function (box) { parts.push(box.t === "node" ? drawNode(box) : drawGroup(box)); });
    content = parts.join("");
    svg.innerHTML = SVG_STYLE + defs() + '<g id="viewport">' + content + "</g>";
    applyView();
  }
  function applyView() {
    var vp = document.getElementById("viewport");
    if (vp) vp.setAttribute("transform", "translate(" + view.x + "," + view.y + ") scale(" + view.k + ")");
  }
  function fit(widthOnly) {
    var W = svg.clientWidth || 800, H = svg.clientHeight || 600;
    var cw = root.L + root.R, ch = root.h;
    var k = widthOnly ? Math.min(1, W / cw) : Math.min(1.5, W / cw, H / ch);
    view.k = Math.max(k, 0.02);
    view.x = (W - cw * view.k) / 2;
    view.y = widthOnly ? 8 : (H - ch * view.k) / 2;
    applyView();
  }
  function centerOn(id) {
    var p = at[id];
    if (!p) return;
    var W = svg.clientWidth || 800, H = svg.clientHeight || 600;
    if (view.k < 0.6) view.k = 1;
    view.x = W / 2 - p.x * view.k;
    view.y = H / 2 - (p.y + p.h / 2) * view.k;
    applyView();
  }

  // ------------------------------------------------------------------ folding
  function toggle(key, open) {
    if (!groups[key]) return false;
    if (open === undefined) open = !expanded[key];
    if (open) expanded[key] = true; else delete expanded[key];
    render();
    return true;
  }
  function setRoll(on) {
    useTree(on);
    rollBox.checked = rolled;
    render();
    fit(true);
    return rolled;
  }
  function expandAll() { order.forEach(function (k) { expanded[k] = true; }); render(); }
  function collapseAll() { expanded = {}; render(); fit(true); }
  function reveal(i) {
    chainOf[i].forEach(function (k) { expanded[k] = true; });
    selected = i;
    render();
    centerOn(i);
    showDetails(nodeFacts(i));
    highlightRow(i);
  }

  // ------------------------------------------------------------------ details
  function nodeFacts(i) {
    var n = N[i], rows = [["layer", n.id], ["op", n.op]];
    if (n.mg) rows.push(["merged", n.mg.join(" · ")]);
    ["kernel", "stride", "padding", "dilation", "groups", "out", "p", "extra_channels"].forEach(function (k) {
      if (n.args[k] !== undefined && n.args[k] !== null) rows.push([k === "out" ? "out channels" : k, n.args[k]]);
    });
    if (n.i) rows.push(["input", n.i]);
    rows.push(["output shape", n.s]);
    if (n.op !== "input")  // the input holds no parameters and computes nothing
      rows.push(["parameters", commas(n.p)], ["MACs", commas(n.m)],
        ["activations", commas(n.a) + " (" + bytes(4 * n.a) + " fp32)"]);
    var b = blockOf[i];
    if (b) rows.push(["block", b.n + " (" + b.t + ")"]);
    if (n.br) rows.push(["branch", n.br]);
    if (n.loc) rows.push(["spec", n.loc]);
    return rows;
  }
  function groupFacts(g) {
    var rows = [[g.k, g.n]];
    if (g.t) rows.push(["type", g.t]);
    if (g.k === "stage" || g.k === "run") rows.push(["blocks", g.c]);
    rows.push(["input", g.in], ["output shape", g.out]);
    if (g.sct) rows.push(["shortcut", g.sct]);
    if (g.ch) rows.push(["shape", "changes here"]);
    rows.push(["parameters", commas(g.p)], ["MACs", commas(g.m)], ["activations", commas(g.a)],
      ["layers", allNodes(g).length]);
    return rows;
  }
  function factsTable(rows) {
    return "<table>" + rows.map(function (r) { return "<tr><td>" + esc(r[0]) + "</td><td>" + esc(r[1]) + "</td></tr>"; }).join("") + "</table>";
  }
  var detailsBody = document.getElementById("details-body");
  function showDetails(rows) { detailsBody.className = ""; detailsBody.innerHTML = factsTable(rows); }
  var tip = document.getElementById("tip");
  function showTip(rows, ev) {
    tip.innerHTML = factsTable(rows);
    tip.hidden = false;
    moveTip(ev);
  }
  function moveTip(ev) {
    var x = ev.clientX + 14, y = ev.clientY + 14;
    var r = tip.getBoundingClientRect();
    if (x + r.width > window.innerWidth) x = ev.clientX - r.width - 10;
    if (y + r.height > window.innerHeight) y = Math.max(0, window.innerHeight - r.height - 4);
    tip.style.left = x + "px"; tip.style.top = y + "px";
  }
  function targetOf(ev) {
    var el = ev.target;
    while (el && el !== svg) {
      if (el.getAttribute) {
        if (el.getAttribute("data-node") !== null) return { node: +el.getAttribute("data-node") };
        if (el.getAttribute("data-group") !== null) return { group: el.getAttribute("data-group") };
        if (el.getAttribute("data-toggle") !== null) return { toggle: el.getAttribute("data-toggle") };
      }
      el = el.parentNode;
    }
    return null;
  }
  svg.addEventListener("mouseover", function (ev) {
    var t = targetOf(ev);
    if (!t) { tip.hidden = true; return; }
    if (t.node !== undefined) { var f = nodeFacts(t.node); showTip(f, ev); showDetails(f); }
    else if (t.group) { var g = groupFacts(groups[t.group]); g.push(["", "click to unfold"]); showTip(g, ev); showDetails(g); }
    else if (t.toggle) { showTip([["", "click to fold " + groups[t.toggle].n]], ev); }
  });
  svg.addEventListener("mousemove", function (ev) { if (!tip.hidden) moveTip(ev); });
  svg.addEventListener("mouseout", function (ev) { if (!targetOf({ target: ev.relatedTarget })) tip.hidden = true; });

  // ------------------------------------------------------------------ pan and zoom
  var drag = null;
  svg.addEventListener("pointerdown", function (ev) {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, moved: false };
  });
  window.addEventListener("pointermove", function (ev) {
    if (!drag) return;
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    document.getElementById("canvas").classList.add("panning");
    view.x = drag.vx + dx; view.y = drag.vy + dy;
    applyView();
  });
  window.addEventListener("pointerup", function (ev) {
    var was = drag;
    drag = null;
    document.getElementById("canvas").classList.remove("panning");
    if (!was || was.moved) return;
    var t = targetOf(ev);
    if (!t) return;
    tip.hidden = true;
    if (t.group) toggle(t.group, true);
    else if (t.toggle) toggle(t.toggle, false);
    else if (t.node !== undefined) { selected = t.node; render(); showDetails(nodeFacts(t.node)); highlightRow(t.node); }
  });
  svg.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var r = svg.getBoundingClientRect();
    var px = ev.clientX - r.left, py = ev.clientY - r.top;
    var k = Math.min(4, Math.max(0.02, view.k * Math.exp(-ev.deltaY * 0.0015)));
    view.x = px - (px - view.x) * (k / view.k);
    view.y = py - (py - view.y) * (k / view.k);
    view.k = k;
    applyView();
  }, { passive: false });

  // ------------------------------------------------------------------ summary and table
  document.getElementById("title").textContent = DATA.name;
  var T = DATA.totals;
  document.getElementById("headline").textContent =
    compact(T.params) + " parameters · " + compact(T.macs) + " MACs · " + DATA.input + " → " + DATA.output;
  var layerIdx = [];
  N.forEach(function (n, i) { if (n.op !== "input") layerIdx.push(i); });
  var blockCount = order.filter(function (k) { return groups[k].k === "block"; }).length;
  var maxAct = layerIdx.reduce(function (m, i) { return Math.max(m, N[i].a); }, 0);
  if (DATA.layers !== undefined) maxAct = DATA.largest;  // --merge: of every layer, unmerged
  document.getElementById("totals").innerHTML = [
    ["network", DATA.name], ["input → output", DATA.input + " → " + DATA.output],
    ["layers", commas(DATA.layers !== undefined ? DATA.layers : layerIdx.length)],
    ["blocks", commas(blockCount)],
    ["parameters", commas(T.params) + " (" + bytes(4 * T.params) + " fp32)"],
    ["MACs", commas(T.macs) + " (" + compact(T.macs) + ")"],
    ["activations / sample", commas(T.activations) + " (" + bytes(4 * T.activations) + " fp32)"],
    ["largest activation", commas(maxAct) + " (" + bytes(4 * maxAct) + ")"]
  ].map(function (r) { return "<tr><td>" + esc(r[0]) + "</td><td>" + esc(r[1]) + "</td></tr>"; }).join("");

  // The table draws only the rows in view (and some either side) between two spacer
  // rows, so a search or a scroll costs the same for 4,000 layers as for 100. Rows are
  // one fixed height (CSS) and the columns fixed widths, measured once from the data.
  var tbody = document.querySelector("#layer-table tbody");
  var wrap = document.getElementById("table-wrap");
  var sortCol = "idx", sortDir = 1, filter = "";
  var lowerId = N.map(function (n) { return n.id.toLowerCase(); });  // what search matches
  var COLS = ["idx", "id", "op", "s", "p", "m", "a"], NUMERIC = { idx: 1, p: 1, m: 1, a: 1 };
  function cellText(i, col) {
    var n = N[i];
    return col === "idx" ? String(i) : col === "p" || col === "m" || col === "a" ? commas(n[col]) : n[col];
  }
  var cells = [];  // node index -> its row's cells, built when first drawn
  function rowCells(i) {
    if (cells[i] === undefined) {
      cells[i] = COLS.map(function (col) {
        return (NUMERIC[col] ? '<td class="num">' : "<td>") + esc(cellText(i, col)) + "</td>";
      }).join("");
    }
    return cells[i];
  }
  (function fixColumns() {  // widths from the longest texts; the layer name takes the rest
    var table = document.getElementById("layer-table"), group = document.createElement("colgroup"), total = 0;
    COLS.forEach(function (col) {
      var th = table.querySelector('th[data-col="' + col + '"]');
      var texts = layerIdx.map(function (i) { return cellText(i, col); });
      texts.sort(function (a, b) { return b.length - a.length; });
      var w = textWidth(th.textContent, 11, true);  // the sort arrow may spill into the next header's blank
      texts.slice(0, 8).forEach(function (t) { w = Math.max(w, textWidth(t, 11, false)); });
      w = Math.round(w + 9);  // and the cell's padding
      var c = document.createElement("col");
      if (col !== "id") c.style.width = w + "px";
      total += w;
      group.appendChild(c);
    });
    table.insertBefore(group, table.firstChild);
    table.style.minWidth = total + "px";
  })();
  var sorted = null;  // layerIdx in the table's order; rebuilt when the order changes
  var collate = new Intl.Collator().compare;
  function sortOrder() {
    if (sorted) return sorted;
    var key = function (i) {
      var n = N[i];
      switch (sortCol) {
        case "id": return n.id; case "op": return n.op; case "s": return shapeSize(n.s);
        case "p": return n.p; case "m": return n.m; case "a": return n.a; default: return i;
      }
    };
    var keys = {};
    layerIdx.forEach(function (i) { keys[i] = key(i); });
    sorted = layerIdx.slice().sort(function (a, b) {
      var ka = keys[a], kb = keys[b];
      var c = typeof ka === "string" ? collate(ka, kb) : ka - kb;
      return (c || a - b) * sortDir;
    });
    return sorted;
  }
  function shapeSize(s) { return s.split("×").reduce(function (p, v) { return p * (+v || 1); }, 1); }
  var rows = [];        // the rows the table holds now, in order (filtered)
  var ROW = 20;         // px, as the CSS sets it; measured once drawn
  var CHUNK = 25;       // rows drawn beyond the view, and the step the window moves by
  var drawn = "";       // the window drawn, to skip a scroll that does not move it
  var measured = false;
  function renderTable() {
    var all = sortOrder();
    rows = filter ? all.filter(function (i) { return lowerId[i].indexOf(filter) >= 0; }) : all;
    document.getElementById("layer-count").textContent = "(" + rows.length + (filter ? " of " + layerIdx.length : "") + ")";
    document.querySelectorAll("#layer-table th").forEach(function (th) {
      if (th.getAttribute("data-col") === sortCol) th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
    wrap.scrollTop = 0;
    drawRows(true);
  }
  function spacer(count) {
    return count ? '<tr class="pad"><td colspan="' + COLS.length + '" style="height:' + count * ROW + 'px"></td></tr>' : "";
  }
  function drawRows(force) {
    var top = wrap.scrollTop, height = wrap.clientHeight || 600;
    var first = Math.max(0, (Math.floor(top / ROW / CHUNK) - 1) * CHUNK);
    var last = Math.min(rows.length, (Math.ceil((top + height) / ROW / CHUNK) + 1) * CHUNK);
    var span = rows.length + ":" + first + "-" + last;
    if (!force && span === drawn) return;
    drawn = span;
    var html = spacer(first);
    for (var k = first; k < last; k++) {
      var i = rows[k];
      html += '<tr data-node="' + i + '"' + (i === selected ? ' class="sel"' : "") + ">" + rowCells(i) + "</tr>";
    }
    tbody.innerHTML = html + spacer(rows.length - last);
    if (!measured && last > first) {  // the real row height, once (zoom, fonts)
      measured = true;
      var h = tbody.querySelector("tr[data-node]").getBoundingClientRect().height;
      if (h > 0 && Math.abs(h - ROW) > 0.01) { ROW = h; drawRows(true); }
    }
  }
  wrap.addEventListener("scroll", function () { drawRows(false); });
  document.querySelector("#layer-table thead").addEventListener("click", function (ev) {
    var th = ev.target.closest("th");
    if (!th) return;
    var col = th.getAttribute("data-col");
    if (col === sortCol) sortDir = -sortDir;
    else { sortCol = col; sortDir = col === "idx" || col === "id" || col === "op" ? 1 : -1; }
    sorted = null;
    renderTable();
  });
  tbody.addEventListener("click", function (ev) {
    var tr = ev.target.closest("tr[data-node]");
    if (tr) reveal(+tr.getAttribute("data-node"));
  });
  function highlightRow(i) {  // scroll the table to the row (as scrollIntoView "nearest")
    var k = rows.indexOf(i);
    if (k >= 0) {
      var head = document.querySelector("#layer-table thead").offsetHeight;
      if (k * ROW < wrap.scrollTop) wrap.scrollTop = k * ROW;
      else if (head + (k + 1) * ROW > wrap.scrollTop + wrap.clientHeight) wrap.scrollTop = head + (k + 1) * ROW - wrap.clientHeight;
    }
    drawRows(true);
  }

  // ------------------------------------------------------------------ search
  // Only the table and the count change as one types: no layout, no diagram redrawn.
  var search = document.getElementById("search"), matches = [], cursor = 0;
  search.addEventListener("input", function () {
    filter = search.value.trim().toLowerCase();
    renderTable();
    var inOrder = sortCol === "idx" && sortDir > 0;  // Enter steps through them in data-flow order
    matches = !filter ? [] : inOrder ? rows : rows.slice().sort(function (a, b) { return a - b; });
    cursor = 0;
    document.getElementById("search-count").textContent = filter ? matches.length + " found" : "";
  });
  search.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" || !matches.length) return;
    var i = matches[cursor % matches.length];
    cursor += 1;
    document.getElementById("search-count").textContent = (((cursor - 1) % matches.length) + 1) + " of " + matches.length;
    reveal(i);
  });

  // ------------------------------------------------------------------ legend
  function legendHTML() {
    var ops = {}, kinds = {}, joins = {};
    N.forEach(function (n) { if (n.j) joins[n.op] = true; else ops[n.op] = true; });
    E.forEach(function (e) { var k = edgeStyle(e); if (k) kinds[k] = true; });
    var s = Object.keys(ops).map(function (op) {
      return '<span class="sw" style="background:' + DATA.colors[op] + '">' + esc(op) + "</span>";
    }).join("");
    s += "<br>";
    Object.keys(LINES).forEach(function (k) {
      if (!kinds[k]) return;
      var l = LINES[k];
      s += '<span class="row"><svg width="30" height="8"><line x1="0" y1="4" x2="30" y2="4" stroke="' + l.color + '" stroke-width="' + l.width + '"' + (l.dash ? ' stroke-dasharray="' + l.dash + '"' : "") + "/></svg> " + esc(l.label) + "</span>";
    });
    Object.keys(joins).forEach(function (j) { if (DATA.joins[j]) s += '<span class="row">' + esc(DATA.joins[j].label) + "</span>"; });
    if (order.some(function (k) { return groups[k].k === "block" && !groups[k].sc; })) {  // as DOT's legend
      s += '<span class="row no-shortcut"><span class="mark">' + esc(DATA.no_shortcut.mark) + "</span> " + esc(DATA.no_shortcut.label) + "</span>";
    }
    if (order.some(function (k) { return groups[k].ch; })) s += '<span class="row" style="color:' + DATA.change + '">◆ shape changes</span>';
    return s;
  }
  document.getElementById("legend").innerHTML = legendHTML();

  // ------------------------------------------------------------------ export
  function exportSVG(download) {
    var w = root.L + root.R, h = root.h;
    var text = '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="' + w + '" height="' + h +
      '" viewBox="0 0 ' + w + " " + h + '"><title>' + esc(DATA.name) + "</title>" + SVG_STYLE + defs() +
      '<rect width="100%" height="100%" fill="#fff"/>' + content + "</svg>\n";
    if (download !== false) {
      var url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
      var a = document.createElement("a");
      a.href = url; a.download = DATA.name + ".svg";
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    }
    return text;
  }

  document.getElementById("btn-fit").addEventListener("click", function () { fit(false); });
  document.getElementById("btn-expand").addEventListener("click", expandAll);
  document.getElementById("btn-collapse").addEventListener("click", collapseAll);
  var rollBox = document.getElementById("roll");
  rollBox.checked = rolled;
  if (!DATA.runs.length) {
    rollBox.disabled = true;
    document.getElementById("roll-label").title = "no run of identical blocks to fold";
  }
  rollBox.addEventListener("change", function () { setRoll(rollBox.checked); });
  // ------------------------------------------------------------------ theme
  // follows the system (prefers-color-scheme) until the toggle picks one
  function setTheme(name) {
    var t = DATA.themes[name] || DATA.themes.light, st = document.documentElement.style;
    [["--bg", t.background], ["--text", t.text], ["--edge", t.edge], ["--edge-text", t.edge_text],
     ["--cluster", t.cluster], ["--block", t.block], ["--border", t.border], ["--group", t.group]].forEach(function (p) { st.setProperty(p[0], p[1]); });
    document.documentElement.setAttribute("data-theme", name);
  }
  var dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  setTheme(dark && dark.matches ? "dark" : "light");
  if (dark && dark.addEventListener) dark.addEventListener("change", function (ev) { setTheme(ev.matches ? "dark" : "light"); });
  document.getElementById("btn-theme").addEventListener("click", function () {
    setTheme(document.documentElement.getAttribute("data-theme") === "dark" ? "light" : "dark");
  });
  document.getElementById("btn-export").addEventListener("click", function () { exportSVG(true); });
  window.addEventListener("resize", applyView);

  render();
  renderTable();
  fit(true);

  // for tests and the console
  window.resgen = {
    data: DATA, expand: function (key) { return toggle(key, true); }, collapse: function (key) { return toggle(key, false); },
    expandAll: expandAll, collapseAll: collapseAll, reveal: reveal, exportSVG: exportSVG,
    isExpanded: function (key) { return !!expanded[key]; },
    setRoll: setRoll, isRolled: function () { return rolled; }
  };
})();
