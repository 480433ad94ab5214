// "Try it": pick a model, give it a row (drawn, picked from the digits data, or typed), see the answer with
// its uncertainty.
import { call, clearError, getJson, showError } from './api.js';
import { fmt, probabilityChart } from './charts.js';

const $ = id => document.getElementById(id);
const DIGIT_SIDE = 8;
const DIGIT_MAX = 16;
const SAMPLE_ROWS = 24;

let models = [];
let featureCount = null;
let requestSeq = 0;
let grid = null;
let samplesLoaded = false;

/** The 8x8 canvas of the digits data: pixel values 0..16, drawn with a soft round brush. */
class DigitGrid {
  constructor(canvas, onChange, onStrokeEnd) {
    this.canvas = canvas;
    this.values = new Array(DIGIT_SIDE * DIGIT_SIDE).fill(0);
    this.cursor = { r: 3, c: 3 };
    this.focused = false;
    this.drawing = false;
    this.last = null;
    this.onChange = onChange;
    this.onStrokeEnd = onStrokeEnd;
    canvas.addEventListener('pointerdown', e => {
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      this.drawing = true;
      this.last = null;
      this.paintEvent(e);
    });
    canvas.addEventListener('pointermove', e => {
      if (this.drawing) {
        const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
        (events.length > 0 ? events : [e]).forEach(ev => this.paintEvent(ev));
      }
    });
    const end = () => {
      if (this.drawing) {
        this.drawing = false;
        this.last = null;
        this.onStrokeEnd();
      }
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    canvas.addEventListener('focus', () => { this.focused = true; this.draw(); });
    canvas.addEventListener('blur', () => { this.focused = false; this.draw(); });
    canvas.addEventListener('keydown', e => this.key(e));
    this.draw();
  }

  paintEvent(e) {
    const rect = this.canvas.getBoundingClientRect();
    const x = ((e.clientX - rect.left) / rect.width) * DIGIT_SIDE;
    const y = ((e.clientY - rect.top) / rect.height) * DIGIT_SIDE;
    // Interpolate from the last point so that a fast stroke leaves no gaps.
    const from = this.last || { x, y };
    const steps = Math.max(1, Math.ceil(Math.hypot(x - from.x, y - from.y) / 0.25));
    for (let s = 1; s <= steps; s++) {
      this.ink(from.x + ((x - from.x) * s) / steps, from.y + ((y - from.y) * s) / steps);
    }
    this.last = { x, y };
    this.draw();
    this.onChange(this.values);
  }

  /** Ink falls off with the distance from the brush centre, in cell widths; a cell keeps its darkest value. */
  ink(x, y) {
    for (let r = 0; r < DIGIT_SIDE; r++) {
      for (let c = 0; c < DIGIT_SIDE; c++) {
        const d = Math.hypot(c + 0.5 - x, r + 0.5 - y);
        const v = Math.round(DIGIT_MAX * Math.max(0, 1 - d / 1.5));
        const i = r * DIGIT_SIDE + c;
        if (v > this.values[i]) {
          this.values[i] = v;
        }
      }
    }
  }

  key(e) {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const i = this.cursor.r * DIGIT_SIDE + this.cursor.c;
    if (moves[e.key]) {
      const [dr, dc] = moves[e.key];
      this.cursor.r = Math.min(DIGIT_SIDE - 1, Math.max(0, this.cursor.r + dr));
      this.cursor.c = Math.min(DIGIT_SIDE - 1, Math.max(0, this.cursor.c + dc));
    } else if (e.key === ' ' || e.key === 'Enter') {
      this.values[i] = Math.min(DIGIT_MAX, this.values[i] + 8);
      this.onChange(this.values);
    } else if (e.key === 'Backspace' || e.key === 'Delete') {
      this.values[i] = 0;
      this.onChange(this.values);
    } else {
      return;
    }
    e.preventDefault();
    this.draw();
  }

  set(values) {
    this.values = values.map(v => Math.max(0, Math.min(DIGIT_MAX, Math.round(v))));
    this.draw();
  }

  clear() {
    this.values.fill(0);
    this.draw();
  }

  draw() {
    drawDigit(this.canvas, this.values, true);
    if (this.focused) {
      const ctx = this.canvas.getContext('2d');
      const cell = this.canvas.width / DIGIT_SIDE;
      ctx.strokeStyle = '#d9480f';
      ctx.lineWidth = 3;
      ctx.strokeRect(this.cursor.c * cell + 1.5, this.cursor.r * cell + 1.5, cell - 3, cell - 3);
    }
  }
}

/** Paints 64 pixel values 0..16 as grey levels (0 white, 16 black). */
function drawDigit(canvas, values, withGrid) {
  const ctx = canvas.getContext('2d');
  const cell = canvas.width / DIGIT_SIDE;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < values.length; i++) {
    const level = Math.round(255 - (Math.max(0, Math.min(DIGIT_MAX, values[i])) / DIGIT_MAX) * 255);
    ctx.fillStyle = `rgb(${level},${level},${level})`;
    ctx.fillRect((i % DIGIT_SIDE) * cell, Math.floor(i / DIGIT_SIDE) * cell, cell, cell);
  }
  if (withGrid) {
    ctx.strokeStyle = '#c3cad2';
    ctx.lineWidth = 1;
    for (let k = 0; k <= DIGIT_SIDE; k++) {
      const p = Math.round(k * cell) + 0.5;
      ctx.beginPath(); ctx.moveTo(p, 0); ctx.lineTo(p, canvas.height); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(0, p); ctx.lineTo(canvas.width, p); ctx.stroke();
    }
  }
}

/**
 * Reads one row typed by a person: a JSON array of numbers ([[...]] and {"instances": [[...]]} are taken too)
 * or a CSV line (commas, semicolons, tabs or spaces). Returns {values} or {error}.
 */
export function parseRow(text) {
  const t = text.trim();
  if (t === '') {
    return { error: 'Enter a row first: draw a digit, pick a data row, or type numbers.' };
  }
  let values;
  if (t.startsWith('[') || t.startsWith('{')) {
    let v;
    try {
      v = JSON.parse(t);
    } catch (e) {
      return { error: `The row is not valid JSON: ${e.message}` };
    }
    if (v && !Array.isArray(v) && Array.isArray(v.instances)) {
      v = v.instances;
    }
    if (Array.isArray(v) && v.length === 1 && Array.isArray(v[0])) {
      v = v[0];
    }
    if (!Array.isArray(v) || v.some(x => Array.isArray(x))) {
      return { error: 'Give one row: a JSON array of numbers such as [0, 1.5, 3].' };
    }
    const bad = v.findIndex(x => typeof x !== 'number' || !Number.isFinite(x));
    if (bad >= 0) {
      return { error: `Value ${bad + 1} of the row (${JSON.stringify(v[bad])}) is not a number.` };
    }
    values = v;
  } else {
    const cells = t.split(/[\s,;]+/).filter(s => s !== '');
    values = cells.map(Number);
    const bad = values.findIndex(x => !Number.isFinite(x));
    if (bad >= 0) {
      return { error: `Value ${bad + 1} of the row ("${cells[bad]}") is not a number.` };
    }
  }
  return { values };
}

function selectedModel() {
  return models.find(m => m.name === $('model-select').value);
}

/** NAME or NAME:VERSION for POST /predict, from the two pickers. */
function modelParameter() {
  const name = $('model-select').value;
  const version = $('version-select').value;
  return version ? `${name}:${version}` : name;
}

function fillVersions() {
  const model = selectedModel();
  const select = $('version-select');
  select.replaceChildren();
  if (!model) {
    return;
  }
  if (model.activeVersion != null) {
    select.append(new Option(`active (version ${model.activeVersion})`, ''));
  }
  [...model.versions].reverse().forEach(v => select.append(new Option(`version ${v}`, String(v))));
}

async function describeSelection() {
  const model = selectedModel();
  featureCount = null;
  if (!model) {
    $('model-inputs').textContent = 'No model is stored yet: train one in the Training view.';
    updatePanels();
    return;
  }
  const version = $('version-select').value || model.activeVersion || model.versions[model.versions.length - 1];
  try {
    const meta = await getJson(`models/${encodeURIComponent(model.name)}/versions/${version}`);
    featureCount = meta.architecture.inputs;
    $('model-inputs').textContent = `${model.name} version ${meta.version} takes ${featureCount} features and `
      + `tells ${meta.classes.length} classes apart (${meta.classes.slice(0, 12).join(', ')}`
      + `${meta.classes.length > 12 ? ', ...' : ''}).`;
  } catch (e) {
    showError($('try-error'), e);
  }
  updatePanels();
}

function updatePanels() {
  const digits = featureCount === DIGIT_SIDE * DIGIT_SIDE;
  $('draw-panel').hidden = !digits;
  $('samples-panel').hidden = !digits;
  $('try-grid').classList.toggle('no-digits', !digits);
  if (digits && !samplesLoaded) {
    loadSamples();
  }
}

async function loadSamples() {
  samplesLoaded = true;
  const list = $('sample-list');
  try {
    const page = await getJson(`datasets/digits/rows?offset=0&limit=${SAMPLE_ROWS}`);
    list.replaceChildren(...page.rows.map(row => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'sample';
      button.dataset.index = row.index;
      button.setAttribute('aria-label', `Row ${row.index}, labelled ${row.label}`);
      const thumb = document.createElement('canvas');
      thumb.width = 48;
      thumb.height = 48;
      thumb.setAttribute('aria-hidden', 'true');
      drawDigit(thumb, row.features, false);
      const caption = document.createElement('span');
      caption.textContent = `#${row.index} · ${row.label}`;
      button.append(thumb, caption);
      button.addEventListener('click', () => {
        $('row-input').value = JSON.stringify(row.features);
        grid.set(row.features);
        list.querySelectorAll('.sample').forEach(b => b.setAttribute('aria-pressed', String(b === button)));
        predict();
      });
      button.setAttribute('aria-pressed', 'false');
      return button;
    }));
  } catch (e) {
    samplesLoaded = false;
    showError($('try-error'), e);
  }
}

export async function predict() {
  const error = $('try-error');
  clearError(error);
  const row = parseRow($('row-input').value);
  if (row.error) {
    showError(error, new Error(row.error));
    return;
  }
  const params = new URLSearchParams();
  params.set('mcSamples', $('mc-samples').value.trim() || '0');
  const seed = $('seed').value.trim();
  if (seed !== '') {
    params.set('seed', seed);
  }
  if ($('model-select').value) {
    params.set('model', modelParameter());
  }
  const seq = ++requestSeq;
  $('result').setAttribute('aria-busy', 'true');
  try {
    const response = await call('POST', `predict?${params}`, { json: { instances: [row.values] } });
    const text = await response.text();
    if (seq !== requestSeq) {
      return; // a newer prediction is under way
    }
    const answer = JSON.parse(text);
    // The seed is a 64-bit integer; read it from the text so that no digit is lost to doubles.
    const seedMatch = /"seed"\s*:\s*(-?\d+)/.exec(text);
    render(answer, seedMatch ? seedMatch[1] : String(answer.seed));
  } catch (e) {
    if (seq === requestSeq) {
      showError(error, e);
    }
  } finally {
    if (seq === requestSeq) {
      $('result').removeAttribute('aria-busy');
    }
  }
}

function render(answer, seed) {
  const p = answer.predictions[0];
  const predictedIndex = answer.classes.indexOf(p.predictedClass);
  $('result').hidden = false;
  $('result').dataset.seed = seed;
  $('result').dataset.model = `${answer.model.name}:${answer.model.version}`;
  $('predicted-class').textContent = p.predictedClass;
  $('result-meta').textContent = `${answer.model.name} version ${answer.model.version} · `
    + (answer.mcSamples > 0 ? `${answer.mcSamples} passes with dropout` : 'one pass without dropout')
    + ` · seed ${seed}`;
  let verdict;
  if (answer.mcSamples === 0) {
    verdict = 'One deterministic pass: no uncertainty was measured (set Monte Carlo samples above 0).';
  } else if (p.variationRatio > 0 || p.mutualInformation > 0.1) {
    verdict = 'The dropout passes disagree: do not trust this answer blindly.';
  } else {
    verdict = 'The dropout passes agree.';
  }
  $('verdict-text').textContent = verdict;
  setMeasure('m-entropy', p.predictiveEntropy, ' nats');
  setMeasure('m-mi', p.mutualInformation, ' nats');
  setMeasure('m-vr', p.variationRatio, '');
  probabilityChart($('probability-chart'), answer.classes, p.mean, p.std, predictedIndex);
  const body = $('probability-table').tBodies[0];
  body.replaceChildren(...answer.classes.map((label, i) => {
    const tr = document.createElement('tr');
    tr.dataset.class = label;
    tr.dataset.mean = String(p.mean[i]);
    tr.dataset.std = String(p.std[i]);
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = label;
    const mean = document.createElement('td');
    mean.textContent = fmt(p.mean[i]);
    const std = document.createElement('td');
    std.textContent = fmt(p.std[i]);
    tr.append(th, mean, std);
    return tr;
  }));
}

function setMeasure(id, value, unit) {
  const dd = $(id);
  dd.dataset.value = String(value);
  dd.textContent = `${fmt(value)}${unit}`;
}

/** Loads the model list; selects `name` (and `version`) when given, else keeps or picks a sensible one. */
export async function refreshModels(name, version) {
  try {
    models = await getJson('models');
  } catch (e) {
    showError($('try-error'), e);
    return;
  }
  const select = $('model-select');
  const previous = name || select.value;
  select.replaceChildren(...models.map(m => new Option(m.name, m.name)));
  const pick = models.find(m => m.name === previous) || models.find(m => m.name === 'digits') || models[0];
  if (pick) {
    select.value = pick.name;
  }
  fillVersions();
  if (version) {
    $('version-select').value = String(version);
  }
  await describeSelection();
}

export function initTry() {
  grid = new DigitGrid($('digit-canvas'),
    values => { $('row-input').value = values.join(','); },
    () => predict());
  $('clear-canvas').addEventListener('click', () => {
    grid.clear();
    $('row-input').value = '';
  });
  $('model-select').addEventListener('change', () => { fillVersions(); describeSelection(); });
  $('version-select').addEventListener('change', () => describeSelection());
  $('predict-form').addEventListener('submit', e => { e.preventDefault(); predict(); });
  $('row-input').addEventListener('input', () => {
    if (featureCount === DIGIT_SIDE * DIGIT_SIDE) {
      const row = parseRow($('row-input').value);
      if (row.values && row.values.length === DIGIT_SIDE * DIGIT_SIDE) {
        grid.set(row.values);
      }
    }
  });
  return refreshModels();
}

