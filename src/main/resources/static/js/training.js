// "Training": upload a CSV file with hyperparameters, watch the job's progress and curves live, cancel it.
import { call, clearError, getJson, showError } from './api.js';
import { curveChart } from './charts.js';

const $ = id => document.getElementById(id);
const POLL_MS = 400;
// Order of the fields in the form; any other property of the schema follows in the schema's order.
const FIELD_ORDER = ['hiddenLayers', 'dropout', 'inputDropout', 'dropConnect', 'batchNorm', 'epochs', 'batchSize',
  'learningRate', 'optimizer', 'momentum', 'l2', 'validationFraction', 'earlyStoppingPatience', 'seed', 'standardize',
  'batchNormMomentum', 'batchNormEpsilon'];

let fields = []; // {name, kind, input}
let watching = null; // job id
let pollTimer = null;
let onSucceeded = () => {};
let onTry = () => {};

function humanize(name) {
  const words = name.replace(/([A-Z])/g, ' $1').toLowerCase().trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** What kind of input a property of the Hyperparameters schema needs. */
function kindOf(schema) {
  if (schema.enum) return 'enum';
  if (schema.oneOf) return 'numberOrList';
  // A number list (dropout) also takes one bare number, which the service applies to every layer.
  if (schema.type === 'array') return schema.items && schema.items.type === 'integer' ? 'integerList' : 'numberList';
  if (schema.type === 'boolean') return 'boolean';
  if (schema.type === 'integer') return 'integer';
  if (schema.type === 'number') return 'number';
  return 'text';
}

/** The hyperparameter fields, made from the Hyperparameters schema of the service's OpenAPI document. */
async function buildHyperparameterForm() {
  const box = $('hyperparameter-fields');
  let schema;
  try {
    const doc = await getJson('v3/api-docs');
    schema = doc.components.schemas.Hyperparameters;
  } catch (e) {
    box.replaceChildren(Object.assign(document.createElement('p'), { className: 'help',
      textContent: 'The hyperparameter schema could not be loaded; training uses the service\'s defaults.' }));
    return;
  }
  if (schema.description) {
    $('hyperparameters-help').textContent = `Empty fields keep the service's defaults: ${schema.description.replace(/^How to train; every field is optional and defaults to values that train well on small tabular data /, '')}`;
  }
  const names = Object.keys(schema.properties || {});
  names.sort((a, b) => rank(a) - rank(b));
  fields = [];
  box.replaceChildren(...names.map(name => {
    const prop = schema.properties[name];
    const kind = kindOf(prop);
    const id = `hp-${name}`;
    const wrap = document.createElement('div');
    wrap.className = 'field';
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = humanize(name);
    let input;
    if (kind === 'enum' || kind === 'boolean') {
      input = document.createElement('select');
      input.append(new Option('default', ''));
      (kind === 'enum' ? prop.enum : ['true', 'false']).forEach(v => input.append(new Option(String(v), String(v))));
    } else {
      input = document.createElement('input');
      input.type = 'text';
      input.autocomplete = 'off';
      input.inputMode = kind === 'integer' ? 'numeric' : (kind === 'number' ? 'decimal' : 'text');
      if (prop.example !== undefined) {
        input.placeholder = `e.g. ${Array.isArray(prop.example) ? prop.example.join(', ') : String(prop.example)}`;
      }
    }
    input.id = id;
    input.name = name;
    const help = document.createElement('p');
    help.className = 'help';
    help.id = `${id}-help`;
    help.textContent = prop.description || '';
    input.setAttribute('aria-describedby', help.id);
    wrap.append(label, input, help);
    fields.push({ name, kind, input });
    return wrap;
  }));
}

function rank(name) {
  const i = FIELD_ORDER.indexOf(name);
  return i < 0 ? FIELD_ORDER.length : i;
}

const INTEGER = /^-?\d+$/;
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * The hyperparameters JSON text from the filled-in fields, or throws an Error naming the field. Numbers are
 * copied as typed (not through JavaScript doubles), so a 64-bit seed arrives intact; ranges are the service's
 * to check, and its problem detail says what to fix.
 */
function hyperparametersJson() {
  const parts = [];
  for (const { name, kind, input } of fields) {
    const raw = input.value.trim();
    if (raw === '') {
      continue;
    }
    let json;
    if (kind === 'enum') {
      json = JSON.stringify(raw);
    } else if (kind === 'boolean') {
      json = raw;
    } else if (kind === 'integer' || kind === 'number') {
      if (!(kind === 'integer' ? INTEGER : NUMBER).test(raw)) {
        throw new Error(`${humanize(name)} must be ${kind === 'integer' ? 'a whole number' : 'a number'}, got "${raw}".`);
      }
      json = raw;
    } else {
      const items = raw.replace(/^\[|\]$/g, '').split(/[\s,;]+/).filter(s => s !== '');
      const pattern = kind === 'integerList' ? INTEGER : NUMBER;
      const bad = items.find(s => !pattern.test(s));
      if (bad !== undefined) {
        throw new Error(`${humanize(name)} takes ${kind === 'integerList' ? 'whole numbers' : 'numbers'} separated by commas, got "${bad}".`);
      }
      json = (kind === 'numberOrList' || kind === 'numberList') && items.length === 1 && !raw.startsWith('[') ? items[0] : `[${items.join(',')}]`;
    }
    parts.push(`${JSON.stringify(name)}:${json}`);
  }
  return parts.length ? `{${parts.join(',')}}` : null;
}

/** Reads the header row of the chosen CSV file to offer its columns as the label column. */
async function readHeader(file) {
  const select = $('train-label');
  select.replaceChildren(new Option('last column', ''));
  if (!file) {
    return;
  }
  if (!$('train-name').value) {
    const suggested = file.name.replace(/\.[^.]*$/, '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '').slice(0, 64);
    $('train-name').value = suggested;
  }
  const text = await file.slice(0, 64 * 1024).text();
  const header = text.split(/\r?\n/)[0] || '';
  const columns = header.split(',').map(c => c.trim().replace(/^"(.*)"$/, '$1')).filter(c => c !== '');
  columns.forEach((c, i) => select.append(new Option(i === columns.length - 1 ? `${c} (last)` : c, c)));
}

async function submit(e) {
  e.preventDefault();
  const error = $('train-error');
  clearError(error);
  const file = $('train-file').files[0];
  const name = $('train-name').value.trim();
  try {
    if (!file) {
      throw new Error('Choose a CSV file first.');
    }
    if (!name) {
      throw new Error('Give the model a name.');
    }
    const form = new FormData();
    form.append('data', file, file.name);
    form.append('name', name);
    if ($('train-label').value) {
      form.append('labelColumn', $('train-label').value);
    }
    form.append('activate', $('train-activate').checked ? 'true' : 'false');
    const hp = hyperparametersJson();
    if (hp) {
      form.append('hyperparameters', hp);
    }
    $('train-button').disabled = true;
    const job = await (await call('POST', 'train', { body: form, mutating: true })).json();
    watch(job.id, job);
    refreshJobs();
  } catch (err) {
    showError(error, err);
  } finally {
    $('train-button').disabled = false;
  }
}

function watch(id, first) {
  watching = id;
  clearTimeout(pollTimer);
  clearError($('job-error'));
  $('job-panel').hidden = false;
  $('job-try').hidden = true;
  if (first) {
    renderJob(first);
  }
  poll();
}

async function poll() {
  const id = watching;
  if (!id) {
    return;
  }
  let job;
  try {
    job = await getJson(`train/jobs/${encodeURIComponent(id)}`);
  } catch (e) {
    showError($('job-error'), e);
    return;
  }
  if (id !== watching) {
    return;
  }
  renderJob(job);
  if (job.status === 'QUEUED' || job.status === 'RUNNING') {
    pollTimer = setTimeout(poll, POLL_MS);
  } else {
    refreshJobs();
    if (job.status === 'SUCCEEDED') {
      onSucceeded(job.model.name, job.model.version);
    }
  }
}

function renderJob(job) {
  const panel = $('job-panel');
  panel.dataset.jobId = job.id;
  panel.dataset.status = job.status;
  const status = $('job-status');
  status.textContent = job.status;
  status.className = `status ${job.status.toLowerCase()}`;
  let summary = `${job.name}: epoch ${job.epoch} of at most ${job.epochs} · ${job.rows} rows, ${job.features} features, `
    + `${job.classes.length} classes`;
  if (job.status === 'SUCCEEDED' && job.model) {
    summary += ` · saved as ${job.model.name} version ${job.model.version}${job.activate ? ' (active)' : ''}`;
  }
  $('job-summary').textContent = summary;
  const progress = $('job-progress');
  progress.max = job.epochs;
  progress.value = job.status === 'SUCCEEDED' ? job.epochs : job.epoch;
  $('job-cancel').hidden = !(job.status === 'QUEUED' || job.status === 'RUNNING');
  $('job-try').hidden = job.status !== 'SUCCEEDED';
  if (job.status === 'FAILED' && job.error) {
    const box = $('job-error');
    box.textContent = `${job.error.title || 'Training failed'}: ${job.error.detail || ''}`;
    box.hidden = false;
  }
  curveChart($('job-loss-chart'), job.history, 'loss');
  curveChart($('job-accuracy-chart'), job.history, 'accuracy');
}

async function cancel() {
  const id = watching;
  if (!id) {
    return;
  }
  try {
    const job = await (await call('DELETE', `train/jobs/${encodeURIComponent(id)}`, { mutating: true })).json();
    renderJob(job);
    refreshJobs();
  } catch (e) {
    showError($('job-error'), e);
  }
}

export async function refreshJobs() {
  let jobs;
  try {
    jobs = await getJson('train/jobs');
  } catch (e) {
    showError($('train-error'), e);
    return;
  }
  const body = $('jobs-table').tBodies[0];
  if (jobs.length === 0) {
    const td = document.createElement('td');
    td.colSpan = 5;
    td.textContent = 'No training jobs yet.';
    body.replaceChildren(Object.assign(document.createElement('tr'), {}));
    body.rows[0].append(td);
    return;
  }
  body.replaceChildren(...jobs.slice(0, 20).map(job => {
    const tr = document.createElement('tr');
    const cells = [job.name, job.status, `${job.epoch} / ${job.epochs}`,
      job.startedAt ? new Date(job.startedAt).toLocaleString() : '–'];
    cells.forEach(text => {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    });
    const td = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary small';
    button.textContent = 'Show';
    button.setAttribute('aria-label', `Show job of ${job.name}, ${job.status}`);
    button.addEventListener('click', () => watch(job.id));
    td.append(button);
    tr.append(td);
    return tr;
  }));
}

export function initTraining(succeeded, tryIt) {
  onSucceeded = succeeded;
  onTry = tryIt;
  $('train-form').addEventListener('submit', submit);
  $('train-file').addEventListener('change', () => readHeader($('train-file').files[0]));
  $('job-cancel').addEventListener('click', cancel);
  $('job-try').addEventListener('click', () => {
    const status = $('job-panel').dataset;
    getJson(`train/jobs/${encodeURIComponent(status.jobId)}`).then(job => onTry(job.model.name, job.model.version));
  });
  return buildHyperparameterForm();
}
