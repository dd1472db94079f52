// ECharts (vendor/echarts.min.js, Apache-2.0; see vendor/README.md for the version), loaded as a
// classic script the first time a page draws a chart. Under the console's CSP (no inline
// styles) charts render on canvas and tooltips in rich text, never as HTML with style attributes.

let loading = null;

/** loadECharts resolves with the global echarts object, loading the script once. */
export function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = new URL('../vendor/echarts.min.js', import.meta.url).href;
      s.onload = () => resolve(window.echarts);
      s.onerror = () => { loading = null; reject(new Error('echarts failed to load')); };
      document.head.append(s);
    });
  }
  return loading;
}

/**
 * lineChart draws series [{name, data}] over the x labels in el and returns a dispose function.
 * threshold draws a dashed line at that y value (the downgrade threshold, R7).
 */
export async function lineChart(el, { x, series, threshold, thresholdLabel }) {
  const echarts = await loadECharts();
  const chart = echarts.init(el, null, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: x, boundaryGap: false },
    // The axis always shows the threshold line, with room around the scores.
    yAxis: {
      type: 'value',
      min: (v) => Math.floor((threshold === undefined ? v.min : Math.min(v.min, threshold)) / 5) * 5 - 5,
      max: (v) => Math.ceil(v.max / 5) * 5 + 5,
    },
    series: series.map((s, i) => ({
      name: s.name, type: 'line', data: s.data, connectNulls: false, symbolSize: 6,
      markLine: i === 0 && threshold !== undefined ? {
        silent: true, symbol: 'none', lineStyle: { type: 'dashed', color: '#c0392b' },
        label: { position: 'insideEndTop', formatter: thresholdLabel || String(threshold) }, data: [{ yAxis: threshold }],
      } : undefined,
    })),
  });
  const resize = () => chart.resize();
  window.addEventListener('resize', resize);
  return () => { window.removeEventListener('resize', resize); chart.dispose(); };
}
