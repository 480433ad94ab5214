// "Models": every stored model with its versions, and one version in detail.
import { call, clearError, getJson, showError } from './api.js';
import { curveChart, destroyChart, fmt } from './charts.js';

const $ = id => document.getElementById(id);
let selected = null; // {name, version}
let onChanged = () => {};
let onTry = () => {};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs).forEach(([k, v]) => {
    if (k === 'class') {
      node.className = v;
    } else if (k === 'role' || k.startsWith('data-') || k.startsWith('aria-')) {
      node.setAttribute(k, v);
    } else {
      node[k] = v;
    }
  });
  node.append(...children);
  return node;
}

function badge(text, kind = '') {
  return el('span', { class: `badge ${kind}` }, text);
}

export async function refreshModelsView() {
  const error = $('models-error');
  clearError(error);
  let models;
  try {
    models = await getJson('models');
  } catch (e) {
    showError(error, e);
    return;
  }
  const list = $('model-list');
  if (models.length === 0) {
    list.replaceChildren(el('p', { class: 'help' }, 'No model is stored yet: train one in the Training view.'));
    $('version-detail').replaceChildren();
    return;
  }
  if (!selected || !models.some(m => m.name === selected.name && m.versions.includes(selected.version))) {
    const first = models.find(m => m.name === 'digits') || models[0];
    selected = { name: first.name, version: first.activeVersion || first.versions[first.versions.length - 1] };
  }
  list.replaceChildren(...models.map(m => {
    const versions = el('ul', { class: 'versions' }, ...[...m.versions].reverse().map(v => {
      const button = el('button', { type: 'button', class: 'version-button', 'data-model': m.name, 'data-version': String(v),
        'aria-pressed': String(selected.name === m.name && selected.version === v) }, `version ${v}`);
      if (v === m.activeVersion) {
        button.append(' ', badge('active', 'ok'));
      }
      button.addEventListener('click', () => {
        selected = { name: m.name, version: v };
        list.querySelectorAll('.version-button').forEach(b => b.setAttribute('aria-pressed', String(b === button)));
        showVersion();
      });
      return el('li', {}, button);
    }));
    return el('div', { class: 'model-entry' },
      el('h3', {}, m.name),
      el('p', { class: 'help' }, m.activeVersion != null ? `active: version ${m.activeVersion}` : 'no active version'),
      versions);
  }));
  await showVersion();
}

function definitionList(entries) {
  return el('dl', { class: 'facts' }, ...entries.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function table(caption, rows, headers) {
  return el('div', { class: 'table-scroll' }, el('table', {},
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, ...headers.map(h => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...rows.map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, v))))));
}

function show(value) {
  if (Array.isArray(value)) {
    return `[${value.join(', ')}]`;
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : fmt(value);
  }
  return String(value);
}

async function showVersion() {
  const detail = $('version-detail');
  const { name, version } = selected;
  let meta;
  try {
    meta = await getJson(`models/${encodeURIComponent(name)}/versions/${version}`);
  } catch (e) {
    showError($('models-error'), e);
    return;
  }
  ['model-loss-chart', 'model-accuracy-chart'].forEach(id => { if ($(id)) destroyChart($(id)); });
  const a = meta.architecture;
  const actions = el('div', { class: 'actions' });
  if (!meta.active) {
    const activate = el('button', { type: 'button', id: 'activate-version' }, 'Activate');
    activate.addEventListener('click', () => mutate('POST', `models/${encodeURIComponent(name)}/versions/${version}/activate`));
    const remove = el('button', { type: 'button', class: 'danger', id: 'delete-version' }, 'Delete');
    remove.addEventListener('click', () => {
      if (window.confirm(`Delete ${name} version ${version}? Its number is never reused.`)) {
        mutate('DELETE', `models/${encodeURIComponent(name)}/versions/${version}`, true);
      }
    });
    actions.append(activate, remove);
  }
  const tryIt = el('button', { type: 'button', class: 'secondary' }, 'Try it');
  tryIt.addEventListener('click', () => onTry(name, version));
  // The artifact holds the model's weights: by default it needs the API key (mcdropout.security.artifact-download-requires-key),
  // so it is fetched like a mutating call (asking for the key on a 401) and handed to the browser as a file.
  const download = el('button', { type: 'button', class: 'secondary', id: 'download-artifact' }, 'Download artifact');
  download.addEventListener('click', async () => {
    try {
      const response = await call('GET', `models/${encodeURIComponent(name)}/versions/${version}/artifact`, { mutating: true });
      const url = URL.createObjectURL(await response.blob());
      const link = el('a', { href: url, download: `${name}-${version}.zip` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (error) {
      showError($('models-error'), error);
    }
  });
  actions.append(tryIt, download);

  const heading = el('h3', { id: 'version-heading' }, `${name} version ${version} `);
  if (meta.active) {
    heading.append(badge('active', 'ok'));
  }
  const parts = [
    heading,
    el('p', { class: 'help' }, `Created ${new Date(meta.createdAt).toLocaleString()} · ${(meta.sizeBytes / 1024).toFixed(1)} KiB · SHA-256 `,
      el('code', { class: 'hash' }, meta.sha256)),
    actions,
    el('h4', {}, 'Architecture'),
    definitionList([
      ['Inputs', String(a.inputs)],
      ['Hidden layers (ReLU)', a.hiddenLayers.length ? a.hiddenLayers.join(' → ') : 'none (softmax regression)'],
      ['Outputs', `${a.outputs} classes: ${meta.classes.slice(0, 20).join(', ')}${meta.classes.length > 20 ? ', ...' : ''}`],
      ['Dropout', `input ${a.inputDropout}, hidden ${a.dropout.length ? a.dropout.join(', ') : '–'}${a.dropConnect ? ' (DropConnect: of the weights into hidden units)' : ''}`],
      ['Batch normalisation', a.batchNorm ? 'yes, before each hidden ReLU' : 'no'],
      ['Standardised inputs', a.standardized ? 'yes' : 'no'],
    ]),
    el('h4', {}, 'Training curves'),
  ];
  if (meta.history && meta.history.loss && meta.history.loss.length) {
    parts.push(el('div', { class: 'curves' },
      el('div', { class: 'chart-box small' }, el('canvas', { id: 'model-loss-chart', role: 'img', 'aria-label': 'Loss per epoch of this version\'s training' })),
      el('div', { class: 'chart-box small' }, el('canvas', { id: 'model-accuracy-chart', role: 'img', 'aria-label': 'Accuracy per epoch of this version\'s training' }))));
  } else {
    parts.push(el('p', { class: 'help' }, 'No training history: this version was trained elsewhere and imported.'));
  }
  const hp = Object.entries(meta.hyperparameters || {});
  parts.push(el('h4', {}, 'Hyperparameters'),
    hp.length ? table('Hyperparameters the version was trained with', hp.map(([k, v]) => [k, show(v)]), ['Name', 'Value'])
      : el('p', { class: 'help' }, 'Not recorded.'));
  const metrics = Object.entries(meta.metrics || {});
  parts.push(el('h4', {}, 'Validation metrics'),
    metrics.length ? table('Metrics on the validation split', metrics.map(([k, v]) => [k, show(v)]), ['Metric', 'Value'])
      : el('p', { class: 'help' }, 'Not recorded.'));
  parts.push(calibrationReport(meta));
  detail.replaceChildren(...parts);
  if ($('model-loss-chart')) {
    curveChart($('model-loss-chart'), meta.history, 'loss');
    curveChart($('model-accuracy-chart'), meta.history, 'accuracy');
  }
}

/*
 * The version's calibration report: the validation split's evaluation that training stores with the version
 * (deterministic pass and Monte Carlo side by side), as a metrics table and the service's own plots.
 */
const REPORT_ROWS = [
  ['Accuracy', p => p.accuracy],
  ['NLL (nats)', p => p.nll],
  ['Brier score', p => p.brier],
  ['ECE (15 bins)', p => p.ece],
  ['Adaptive ECE', p => p.adaptiveEce],
  ['Misclassification AUROC, predictive entropy', p => p.measures && p.measures.predictiveEntropy && p.measures.predictiveEntropy.misclassificationAuroc],
  ['Misclassification AUROC, mutual information', p => p.measures && p.measures.mutualInformation && p.measures.mutualInformation.misclassificationAuroc],
  ['AURC, predictive entropy', p => p.measures && p.measures.predictiveEntropy && p.measures.predictiveEntropy.aurc],
];

function calibrationReport(meta) {
  const section = el('section', { class: 'calibration', id: 'calibration-report', 'aria-labelledby': 'calibration-heading' },
    el('h4', { id: 'calibration-heading' }, 'Calibration report'));
  const e = meta.evaluation;
  if (!e) {
    section.append(el('p', { class: 'help' }, 'No report for this version: it was imported, or stored before '
      + 'versions carried one. POST /models/{name}/versions/{version}/evaluate evaluates it on your data.'));
    return section;
  }
  const cell = v => (v === null || v === undefined ? '–' : show(v));
  section.append(
    el('p', { class: 'help' }, `On the validation split (${e.rows} rows), ${e.mcSamples} Monte Carlo passes, seed ${e.seed}. `
      + 'Lower NLL, Brier and ECE are better; an AUROC near 1 means the measure ranks wrong answers as the least certain.'),
    el('div', { class: 'table-scroll' }, el('table', { id: 'calibration-table' },
      el('caption', {}, 'Validation metrics, deterministic pass and Monte Carlo dropout'),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Metric'), el('th', { scope: 'col' }, 'Deterministic'),
        el('th', { scope: 'col' }, 'Monte Carlo'))),
      el('tbody', {}, ...REPORT_ROWS.map(([label, get]) => el('tr', {}, el('th', { scope: 'row' }, label),
        el('td', {}, cell(get(e.deterministic))), el('td', {}, cell(get(e.monteCarlo)))))))));
  const base = `models/${encodeURIComponent(meta.name)}/versions/${meta.version}/evaluation/plots`;
  section.append(el('div', { class: 'report-plots' },
    el('img', { src: `${base}/reliability`, alt: 'Reliability diagram: accuracy against mean confidence per bin, '
      + 'deterministic and Monte Carlo, with the diagonal of perfect calibration', loading: 'lazy' }),
    el('img', { src: `${base}/risk-coverage`, alt: 'Risk–coverage curve: error rate of the kept rows against the '
      + 'share kept, most certain first, per uncertainty measure', loading: 'lazy' })));
  return section;
}

async function mutate(method, path, deleted = false) {
  const error = $('models-error');
  clearError(error);
  try {
    await call(method, path, { mutating: true });
    if (deleted) {
      selected = null;
    }
    await refreshModelsView();
    onChanged();
  } catch (e) {
    showError(error, e);
  }
}

export function initModels(changed, tryIt) {
  onChanged = changed;
  onTry = tryIt;
}
