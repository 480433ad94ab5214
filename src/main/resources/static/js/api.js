// Talking to the service: every request goes to this page's own origin (relative URLs), errors are the
// service's RFC 9457 problems, and mutating requests ask for the API key when the service says 401.

const KEY_STORAGE = 'mcdropout.apiKey';

/** A non-2xx answer; `problem` is the service's problem body (or a stand-in for a non-JSON answer). */
export class ProblemError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

function storeKey(key) {
  if (key) {
    sessionStorage.setItem(KEY_STORAGE, key);
  } else {
    sessionStorage.removeItem(KEY_STORAGE);
  }
  showKeyState();
}

export function showKeyState() {
  document.getElementById('api-key-state').textContent = apiKey() ? 'set' : 'none';
}

async function readProblem(response) {
  const type = response.headers.get('Content-Type') || '';
  const text = await response.text();
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch (e) {
      // fall through: show the raw text
    }
  }
  return { status: response.status, title: response.statusText || `HTTP ${response.status}`,
    detail: text ? text.slice(0, 300) : `the service answered HTTP ${response.status}` };
}

/**
 * Opens the key dialog and resolves to the action chosen: 'ok' (a key was stored), 'clear' or 'cancel'.
 * `reason` is shown above the field, e.g. the detail of the 401 problem.
 */
export function askForKey(reason) {
  const dialog = document.getElementById('key-dialog');
  const input = document.getElementById('key-input');
  document.getElementById('key-reason').textContent = reason || '';
  document.getElementById('key-reason').hidden = !reason;
  input.value = apiKey() || '';
  return new Promise(resolve => {
    dialog.addEventListener('close', () => {
      const choice = dialog.returnValue;
      if (choice === 'ok' && input.value.trim() !== '') {
        storeKey(input.value.trim());
        resolve('ok');
      } else if (choice === 'clear') {
        storeKey(null);
        resolve('clear');
      } else {
        resolve('cancel');
      }
      input.value = '';
    }, { once: true });
    dialog.returnValue = 'cancel';
    dialog.showModal();
    input.focus();
  });
}

/**
 * Sends a request to the service. Options: `json` (a value sent as JSON), `body` (sent as is, e.g. FormData),
 * `mutating` (the endpoint needs the API key when one is configured). Resolves to the Response when it is 2xx,
 * rejects with a ProblemError otherwise. A 401 (no key) or a 403 for a wrong key on a mutating request opens
 * the key dialog and, once a key is entered, sends the request again.
 */
export async function call(method, path, { json, body, mutating = false } = {}) {
  for (;;) {
    const headers = { Accept: 'application/json, application/problem+json' };
    let payload = body;
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(json);
    }
    const key = apiKey();
    if (mutating && key) {
      headers['X-API-Key'] = key;
    }
    const response = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
    if (response.ok) {
      return response;
    }
    const problem = await readProblem(response);
    const wrongKey = response.status === 403 && String(problem.type || '').endsWith('/api-key-invalid');
    if (mutating && (response.status === 401 || wrongKey)) {
      if (wrongKey) {
        storeKey(null);
      }
      const reason = `${response.status} ${problem.title || ''}: ${problem.detail || ''}`;
      if (await askForKey(reason) === 'ok') {
        continue;
      }
    }
    throw new ProblemError(response.status, problem);
  }
}

export async function getJson(path) {
  return (await call('GET', path)).json();
}

/** Shows an error (a ProblemError's status, title and detail, or any other error's message) in `box`. */
export function showError(box, error) {
  box.replaceChildren();
  if (error instanceof ProblemError) {
    const head = document.createElement('strong');
    head.className = 'problem-title';
    head.textContent = `${error.status} ${error.problem.title || ''}`.trim();
    const detail = document.createElement('span');
    detail.className = 'problem-detail';
    detail.textContent = error.problem.detail || '';
    box.append(head, ' ', detail);
  } else {
    const detail = document.createElement('span');
    detail.className = 'problem-detail';
    detail.textContent = error && error.message ? error.message : String(error);
    box.append(detail);
  }
  box.hidden = false;
}

export function clearError(box) {
  box.hidden = true;
  box.replaceChildren();
}

export function setupKeyButton() {
  showKeyState();
  document.getElementById('api-key-button').addEventListener('click', () => askForKey(
    'Mutating actions (training, activating, deleting) need the key when the service has one configured.'));
}
