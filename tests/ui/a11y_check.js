// Run in the page by tests/ui/test_browser.py: what a page does wrong, as a list of strings.
// Every form control has a label, every chart is an image with a title, the language is nl,
// one h1, and all text has WCAG 2.1 AA contrast (4.5:1, 3:1 for large text) on its background.
() => {
  const problems = [];
  if (document.documentElement.lang !== 'nl') problems.push('page language is not nl');
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.closest('[hidden]')) continue;
    if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
      problems.push('control without a label: ' + (el.name || el.id));
  }
  for (const svg of document.querySelectorAll('svg.chart')) {
    if (svg.getAttribute('role') !== 'img' || !svg.querySelector('title'))
      problems.push('chart without role=img and a title');
  }
  const rgb = s => { const m = s.match(/rgba?\(([^)]+)\)/); return m ? m[1].split(',').map(Number) : null; };
  const lum = p => { const c = p.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                     return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
  const background = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
                             if (c && (c.length < 4 || c[3] > 0.5)) return c; } return [255, 255, 255]; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || seen.has(el) || el.closest('svg, .skip, option')) continue;
    seen.add(el);
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || el.getClientRects().length === 0) continue;
    const a = lum(rgb(st.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) problems.push(ratio.toFixed(2) + ' contrast: "' + node.textContent.trim().slice(0, 40) + '"');
  }
  return problems;
}
