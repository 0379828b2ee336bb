/* near-dups report, part 1 of 2: what an opened item shows (cluster members and the word diff of the kept
   document against a dropped one, occurrences of a block or passage), the document panel and the settings.
   report.js (part 2) renders the page and calls nearDupsDetails once, with the data blob and its helpers. */
function nearDupsDetails(D, page) {
  "use strict";
  const { h, fmt, plural, ofAll, f3, text, idOf, excerpt, docLink, renderList, go, clusterOf, removedInfo, passagesIn,
    closeDoc, panel } = page;
  const CTX = 24;            // shared words shown on each side of an elided shared run
  const MAX_EDITS = 2000;    // word diff: Myers O(ND) up to this many edits...
  const MAX_WORK = 40e6;     // ...and this many comparisons; beyond, shared 5-word runs are highlighted
  const WORD = /[\p{L}\p{N}\p{M}]+/gu;
  const KINDS = D.kinds, lens = D.docs.len;
  const RM = D.removed ? D.removed.rm : {};

  function cpToUnit(t) { // Python offsets count code points; JS strings count UTF-16 units
    if (!/[\uD800-\uDFFF]/.test(t)) return null;
    const m = [];
    let u = 0;
    for (const ch of t) { m.push(u); u += ch.length; }
    m.push(u);
    return m;
  }

  // ---------------------------------------------------------------- details
  function occurrenceTable(o, text, total) {
    const tb = h("table", { class: "t occurrences" }, h("tr", null, h("th", { text: "document" }), h("th", { class: "num", text: "start" }),
      h("th", { class: "num", text: "end" })));
    for (let i = 0; i < o.length; i += 3) tb.append(h("tr", null, h("td", null, docLink(o[i], null, [o[i + 1], o[i + 2]])),
      h("td", { class: "num", text: o[i + 1] }), h("td", { class: "num", text: o[i + 2] })));
    const n = o.length / 3;
    return h("div", null, h("pre", { class: "doc", text }), tb,
      total > n ? h("div", { class: "note capped", text: `Listing ${ofAll(n, total)} occurrences.` }) : null);
  }
  function groupDetail(k) {
    const g = D.groups[k];
    return h("div", { class: "detail" }, occurrenceTable(g[4], g[3], g[1]));
  }
  function passageDetail(k) {
    const g = D.passages[k];
    return h("div", { class: "detail" }, occurrenceTable(g[3], g[2], g[0]));
  }
  const diffSel = new Map(); // cluster -> member shown against the kept one
  function clusterDetail(k) {
    const c = D.clusters[k];
    const sel = diffSel.get(k) || 1;
    const box = h("div", { class: "detail", "data-cluster": k });
    const tb = h("table", { class: "t members" }, h("tr", null, h("th", { text: "" }), h("th", { text: "document" }),
      h("th", { class: "num", text: "characters" }), h("th", { class: "num", text: "J with kept" }), h("th", { text: "" })));
    c.m.forEach((d, j) => {
      const tr = h("tr", { class: j === sel ? "cur" : null, "data-member": j },
        h("td", null, h("span", { class: j === 0 ? "badge keep" : "badge drop", text: j === 0 ? "keep" : "drop" })),
        h("td", null, docLink(d)), h("td", { class: "num", text: fmt(lens[d]) }),
        h("td", { class: "num", text: j === 0 ? "" : f3(c.s[j]) }),
        h("td", null, j === 0 ? null : h("span", { class: "link diff-link", text: "diff", onclick: () => { diffSel.set(k, j); renderList(); } })));
      tb.append(tr);
    });
    box.append(tb);
    if (c.m.length > 1) box.append(diffView(c.m[0], c.m[sel], c.s[sel]));
    if (c.p) { // one pair a row, best first; a long list starts folded
      const n = c.p.length / 3;
      const pt = h("table", { class: "t pairs" }, h("tr", null, h("th", { text: "document" }), h("th", { text: "document" }),
        h("th", { class: "num", text: "J" })));
      for (let i = 0; i < c.p.length; i += 3) pt.append(h("tr", null, h("td", null, docLink(c.p[i])),
        h("td", null, docLink(c.p[i + 1])), h("td", { class: "num", text: f3(c.p[i + 2]) })));
      box.append(h("details", { class: "pairs", open: n <= 10 },
        h("summary", { text: n < c.np ? `Verified pairs: the best ${ofAll(n, c.np)}` : `${plural(c.np, "verified pair")}` }), pt));
    } else box.append(h("div", { class: "note", text: "Pairs not listed (too many); scores above are against the kept document." }));
    return box;
  }

  // ---------------------------------------------------------------- word diff
  function tokenize(t, dict) {
    const starts = [], keys = [];
    WORD.lastIndex = 0;
    let m;
    while ((m = WORD.exec(t))) {
      starts.push(m.index);
      const w = m[0].normalize("NFKC").toLowerCase();
      let id = dict.get(w);
      if (id === undefined) { id = dict.size; dict.set(w, id); }
      keys.push(id);
    }
    const toks = new Array(starts.length);
    for (let i = 0; i < starts.length; i++) toks[i] = t.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : t.length);
    return { pre: starts.length ? t.slice(0, starts[0]) : t, toks, keys: Int32Array.from(keys) };
  }
  // Myers' O(ND) diff; returns runs [equal, a0, a1, b0, b1] or null when over MAX_EDITS / MAX_WORK.
  function myers(A, B) {
    let s = 0;
    while (s < A.length && s < B.length && A[s] === B[s]) s++;
    let ea = A.length, eb = B.length;
    while (ea > s && eb > s && A[ea - 1] === B[eb - 1]) { ea--; eb--; }
    const a = A.subarray(s, ea), b = B.subarray(s, eb), N = a.length, M = b.length;
    const snakes = [];
    if (N && M) {
      const max = Math.min(N + M, MAX_EDITS), off = max + 1;
      const v = new Int32Array(2 * max + 3), trace = [];
      let found = -1, work = 0;
      outer: for (let d = 0; d <= max; d++) {
        trace.push(v.slice(off - d - 1, off + d + 2));
        for (let k = -d; k <= d; k += 2) {
          let x = (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1] : v[off + k - 1] + 1;
          let y = x - k;
          const x0 = x;
          while (x < N && y < M && a[x] === b[y]) { x++; y++; }
          work += x - x0 + 1;
          v[off + k] = x;
          if (x >= N && y >= M) { found = d; break outer; }
        }
        if (work > MAX_WORK) return null;
      }
      if (found < 0) return null;
      let x = N, y = M;
      for (let d = found; d > 0; d--) {
        const t = trace[d], o = d + 1, k = x - y;
        const pk = (k === -d || (k !== d && t[o + k - 1] < t[o + k + 1])) ? k + 1 : k - 1;
        const px = t[o + pk], py = px - pk;
        const mx = pk === k + 1 ? px : px + 1;
        if (x > mx) snakes.push([mx, mx - k, x - mx]);
        x = px; y = py;
      }
      if (x > 0) snakes.push([0, 0, x]);
      snakes.reverse();
    }
    const runs = [];
    const push = (eq, a0, a1, b0, b1) => {
      if (a0 === a1 && b0 === b1) return;
      const last = runs[runs.length - 1];
      if (last && last[0] === eq) { last[2] = a1; last[4] = b1; } else runs.push([eq, a0, a1, b0, b1]);
    };
    push(true, 0, s, 0, s);
    let ax = 0, by = 0;
    for (const [x, y, n] of snakes) {
      push(false, s + ax, s + x, s + by, s + y);
      push(true, s + x, s + x + n, s + y, s + y + n);
      ax = x + n; by = y + n;
    }
    push(false, s + ax, s + N, s + by, s + M);
    push(true, ea, A.length, eb, B.length);
    return runs;
  }
  function span(cls, toks, a, b) {
    const e = h(cls === "s" ? "mark" : "span", { class: cls });
    e.textContent = toks.slice(a, b).join("");
    return e;
  }
  function sharedCell(toks, a, b) {
    const cell = document.createDocumentFragment();
    if (b - a <= 2 * CTX + 8) { cell.append(span("s", toks, a, b)); return cell; }
    const more = h("span", { class: "more", hidden: true }, span("s", toks, a + CTX, b - CTX));
    const gap = h("span", { class: "gap", title: "show the shared words", text: ` … ${fmt(b - a - 2 * CTX)} shared words … ` });
    gap.addEventListener("click", () => { more.hidden = !more.hidden; gap.hidden = true; });
    cell.append(span("s", toks, a, a + CTX), gap, more, span("s", toks, b - CTX, b));
    return cell;
  }
  function diffView(kept, other, score) {
    const ta = text(kept), tb = text(other);
    const wrap = h("div", { class: "diffbox" });
    if (ta === undefined || tb === undefined) {
      wrap.append(h("div", { class: "note", text: D.docs.texts ?
        "Texts not embedded in this report (raise max_text_chars to see this diff)." :
        "No texts in this report (made from an index alone): Index.report(path, texts) shows this diff." }));
      return wrap;
    }
    const dict = new Map(), A = tokenize(ta, dict), B = tokenize(tb, dict);
    const runs = myers(A.keys, B.keys);
    const grid = h("div", { class: "diff", "data-kept": kept, "data-other": other },
      h("div", { class: "h", title: idOf(kept) }, "keep: ", idOf(kept)),
      h("div", { class: "h", title: idOf(other) }, "drop: ", idOf(other), ` (J ${f3(score)})`));
    const row = (l, r) => grid.append(h("div", { class: "c l" }, l), h("div", { class: "c r" }, r));
    if (A.pre || B.pre) row(A.pre, B.pre);
    if (runs) {
      let shared = 0;
      for (const [eq, a0, a1, b0, b1] of runs) {
        if (eq) { shared += a1 - a0; row(sharedCell(A.toks, a0, a1), sharedCell(B.toks, b0, b1)); }
        else row(a1 > a0 ? span("d", A.toks, a0, a1) : "", b1 > b0 ? span("i", B.toks, b0, b1) : "");
      }
      grid.dataset.shared = shared;
      grid.dataset.mode = "diff";
    } else {
      // Too different for an aligned diff: words inside 5-word runs found in both are highlighted.
      const grams = (K) => { const s = new Set(); for (let i = 0; i + 5 <= K.length; i++) s.add(K.slice(i, i + 5).join(",")); return s; };
      const ga = grams(A.keys), gb = grams(B.keys);
      const cell = (X, other) => {
        const f = document.createDocumentFragment(), on = new Uint8Array(X.keys.length);
        for (let i = 0; i + 5 <= X.keys.length; i++) if (other.has(X.keys.slice(i, i + 5).join(","))) on.fill(1, i, i + 5);
        let i = 0;
        while (i < on.length) { let j = i; while (j < on.length && on[j] === on[i]) j++; f.append(span(on[i] ? "s" : "", X.toks, i, j)); i = j; }
        return f;
      };
      grid.dataset.mode = "shared-5grams";
      wrap.append(h("div", { class: "note", text: `More than ${fmt(MAX_EDITS)} word edits apart: words in 5-word runs found in both are highlighted, unaligned.` }));
      row(cell(A, gb), cell(B, ga));
    }
    wrap.append(grid, h("div", { class: "legend" }, h("span", { style: "background:var(--shared)", text: "shared words" }),
      h("span", { style: "background:var(--del)", text: "only in the kept document" }),
      h("span", { style: "background:var(--ins)", text: "only in the dropped one" })));
    return wrap;
  }

  // ---------------------------------------------------------------- document panel
  function openDoc(d, target) {
    panel.hidden = false;
    panel.textContent = "";
    panel.dataset.doc = d;
    panel.append(h("button", { class: "close", title: "close (Esc)", onclick: closeDoc }, "×"), h("h2", { text: idOf(d) }));
    const info = h("div", { class: "note" }, plural(lens[d], "character"));
    const c = clusterOf(d);
    if (c) {
      const cl = D.clusters[c[0]];
      info.append("; ", h("a", { href: `#c/${c[0]}`, text: `cluster #${c[0] + 1}` }), ` (${plural(cl.m.length, "document")}): `,
        c[1] === 0 ? "kept" : h("span", null, `dropped, J ${f3(cl.s[c[1]])} with kept `, docLink(cl.m[0])));
    }
    const r = removedInfo(d);
    if (r) info.append(`; ${plural(r[0], "removal")}, ${plural(r[1], "character")}`);
    panel.append(info);
    const t = text(d);
    if (t === undefined) {
      if (!D.docs.texts) {
        panel.append(h("div", { class: "note warn", text: "No texts in this report (made from an index alone)." }));
      } else {
        panel.append(h("div", { class: "note warn", text: "Full text not embedded in this report (see max_text_chars); excerpt:" }),
          h("pre", { class: "doc excerpt", text: excerpt(d, 400) }));
      }
      if (target) panel.append(h("div", { class: "note", text: `Span ${target[0]}–${target[1]}.` }));
      return;
    }
    const rm = RM[d] || [];
    const map = cpToUnit(t), at = (i) => (map ? map[i] : i), cpLen = map ? map.length - 1 : t.length;
    const cuts = new Set([0, cpLen]);
    for (let i = 0; i < rm.length; i += 7) { cuts.add(rm[i]); cuts.add(rm[i + 1]); }
    const ps = passagesIn(d);
    for (const [a, b] of ps) { cuts.add(a); cuts.add(b); }
    if (target) { cuts.add(target[0]); cuts.add(target[1]); }
    const bounds = [...cuts].filter((x) => x >= 0 && x <= cpLen).sort((x, y) => x - y);
    const pre = h("pre", { class: "doc", "data-doc": d });
    let ri = 0;
    let targetEl = null;
    for (let i = 0; i + 1 < bounds.length; i++) {
      const a = bounds[i], b = bounds[i + 1];
      let node = document.createTextNode(t.slice(at(a), at(b)));
      if (ps.some(([x, y]) => x <= a && b <= y)) node = h("span", { class: "psg" }, node);
      if (target && target[0] <= a && b <= target[1]) { node = h("mark", { class: "target" }, node); targetEl = targetEl || node; }
      while (ri < rm.length && rm[ri + 1] <= a) ri += 7;
      if (ri < rm.length && rm[ri] <= a && b <= rm[ri + 1]) {
        const k = KINDS[rm[ri + 2]], sd = rm[ri + 3];
        const title = sd < 0 ? `${k}: a separator between removed blocks` :
          `${k} of ${idOf(sd)}:${rm[ri + 4]}-${rm[ri + 5]} (J ${rm[ri + 6].toFixed(2)}); click to see it`;
        const del = h("del", { class: `rm k-${k}`, "data-r": ri / 7, "data-start": rm[ri], "data-end": rm[ri + 1], title }, node);
        if (sd >= 0) { const src = `#d/${sd}/${rm[ri + 4]}-${rm[ri + 5]}`; del.addEventListener("click", () => go(src.slice(1))); }
        node = del;
      }
      pre.append(node);
    }
    if (!t.length && target) pre.append(h("mark", { class: "target" }));
    panel.append(pre);
    if (rm.length) {
      const tb = h("table", { class: "t removals" }, h("tr", null, h("th", { class: "num", text: "start" }), h("th", { class: "num", text: "end" }),
        h("th", { text: "kind" }), h("th", { text: "source" }), h("th", { class: "num", text: "J" })));
      for (let i = 0; i < rm.length; i += 7) {
        const sd = rm[i + 3];
        tb.append(h("tr", null, h("td", { class: "num" }, h("a", { href: `#d/${d}/${rm[i]}-${rm[i + 1]}`, text: rm[i] })),
          h("td", { class: "num", text: rm[i + 1] }), h("td", null, h("span", { class: `badge k-${KINDS[rm[i + 2]]}`, text: KINDS[rm[i + 2]] })),
          h("td", null, sd < 0 ? "—" : docLink(sd, `${idOf(sd)}:${rm[i + 4]}-${rm[i + 5]}`, [rm[i + 4], rm[i + 5]])),
          h("td", { class: "num", text: rm[i + 6].toFixed(3) })));
      }
      panel.append(h("h3", { text: "Removals" }), tb);
    } else if (r) {
      panel.append(h("div", { class: "note", text: "Removal records not embedded for this document." }));
    }
    panel.scrollTop = 0;
    if (targetEl) targetEl.scrollIntoView({ block: "center" });
  }

  // ---------------------------------------------------------------- settings
  function settingsView() {
    const box = h("div", { class: "detail" });
    const table = (title, obj) => {
      if (!obj) return;
      const tb = h("table", { class: "t" });
      const show = (v) => (Number.isInteger(v) ? fmt(v) : JSON.stringify(v));  // 4,000,000 as everywhere else
      for (const k in obj) {
        tb.append(h("tr", null, h("th", { text: k }),
          h("td", { class: typeof obj[k] === "number" ? "num" : null, text: show(obj[k]) })));
      }
      box.append(h("h3", { text: title }), tb);
    };
    table("Index (dedup.Config)", D.settings.index);
    table("Blocks (dedup.CollapseConfig)", D.settings.collapse);
    table("Seconds", D.times);
    table("Report limits", D.settings.limits);
    return box;
  }
  return { clusterDetail, groupDetail, passageDetail, diffSel, openDoc, settingsView };
}
