// Charts, all drawn by Chart.js (loaded from the service's WebJar as the global `Chart`).

const INK = '#1f2933';
const GRID = '#d5dbe1';
// Bars keep 3:1 against the white background and the dark error bars keep 3:1 against the bars (WCAG 1.4.11).
const BAR = '#5b8fc7';
const BAR_TOP = '#2f74c0';
const TRAIN = '#0b5cad';
const VALIDATION = '#b3470b';

function baseOptions(yTitle, xTitle) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { labels: { color: INK } } },
    scales: {
      x: { title: { display: true, text: xTitle, color: INK }, ticks: { color: INK }, grid: { color: GRID } },
      y: { title: { display: true, text: yTitle, color: INK }, ticks: { color: INK }, grid: { color: GRID } },
    },
  };
}

/**
 * Mean class probabilities as bars with ±1 standard deviation as error bars. An error bar is Chart.js's
 * own floating bar ([low, high]) drawn thin over the mean bar, with caps drawn as 'line' point markers at
 * both ends; the range is clipped to [0, 1], where probabilities live.
 */
export function probabilityChart(canvas, classes, mean, std, predictedIndex) {
  const low = mean.map((m, i) => Math.max(0, m - std[i]));
  const high = mean.map((m, i) => Math.min(1, m + std[i]));
  const data = {
    labels: classes,
    datasets: [
      {
        type: 'bar', label: 'Mean probability', data: mean, order: 3,
        backgroundColor: mean.map((_, i) => (i === predictedIndex ? BAR_TOP : BAR)),
        categoryPercentage: 0.8, barPercentage: 0.9,
      },
      {
        type: 'bar', label: '±1 standard deviation', data: low.map((l, i) => [l, high[i]]), order: 1,
        grouped: false, backgroundColor: INK, borderColor: INK, barThickness: 2, minBarLength: 0,
      },
      {
        type: 'line', label: 'error-cap-high', data: high, order: 0, showLine: false,
        pointStyle: 'line', pointRadius: 7, pointHoverRadius: 7, borderColor: INK, borderWidth: 2,
      },
      {
        type: 'line', label: 'error-cap-low', data: low, order: 0, showLine: false,
        pointStyle: 'line', pointRadius: 7, pointHoverRadius: 7, borderColor: INK, borderWidth: 2,
      },
    ],
  };
  const options = baseOptions('Probability', 'Class');
  options.scales.y.min = 0;
  options.scales.y.max = 1;
  options.plugins.legend.labels.filter = item => !item.text.startsWith('error-cap');
  options.plugins.legend.labels.sort = (a, b) => a.datasetIndex - b.datasetIndex;
  options.plugins.tooltip = {
    filter: item => item.datasetIndex === 0,
    callbacks: {
      label: item => `mean ${fmt(mean[item.dataIndex])} ± ${fmt(std[item.dataIndex])}`,
    },
  };
  const existing = Chart.getChart(canvas);
  if (existing) {
    existing.data = data;
    existing.options = options;
    existing.update();
    return existing;
  }
  return new Chart(canvas, { type: 'bar', data, options });
}

/** Loss or accuracy per epoch, training and validation, from a TrainingHistory. */
export function curveChart(canvas, history, kind) {
  const train = (kind === 'loss' ? history.loss : history.trainAccuracy) || [];
  const validation = (kind === 'loss' ? history.validationLoss : history.validationAccuracy) || [];
  const epochs = Math.max(train.length, validation.length);
  const labels = Array.from({ length: epochs }, (_, i) => i + 1);
  const datasets = [
    { label: kind === 'loss' ? 'Training loss' : 'Training accuracy', data: train, borderColor: TRAIN,
      backgroundColor: TRAIN, pointRadius: 0, borderWidth: 2 },
  ];
  if (validation.length > 0) {
    datasets.push({ label: kind === 'loss' ? 'Validation loss' : 'Validation accuracy', data: validation,
      borderColor: VALIDATION, backgroundColor: VALIDATION, pointRadius: 0, borderWidth: 2, borderDash: [6, 3] });
  }
  const options = baseOptions(kind === 'loss' ? 'Cross-entropy (nats)' : 'Accuracy', 'Epoch');
  options.plugins.legend.labels.boxWidth = 24;
  options.plugins.legend.labels.boxHeight = 3;
  if (kind === 'accuracy') {
    options.scales.y.suggestedMax = 1;
  } else {
    options.scales.y.beginAtZero = true;
  }
  options.plugins.title = { display: true, text: kind === 'loss' ? 'Loss per epoch' : 'Accuracy per epoch', color: INK };
  const existing = Chart.getChart(canvas);
  if (existing) {
    existing.data.labels = labels;
    existing.data.datasets = datasets;
    existing.update();
    return existing;
  }
  return new Chart(canvas, { type: 'line', data: { labels, datasets }, options });
}

export function destroyChart(canvas) {
  const existing = Chart.getChart(canvas);
  if (existing) {
    existing.destroy();
  }
}

/** A number for people: 4 significant digits, exponent notation when tiny. */
export function fmt(x) {
  if (x === null || x === undefined || Number.isNaN(x)) {
    return '–';
  }
  if (x === 0) {
    return '0';
  }
  const abs = Math.abs(x);
  if (abs < 1e-4) {
    return x.toExponential(2);
  }
  return Number(x.toPrecision(4)).toString();
}
