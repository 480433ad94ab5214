// The page's three views, switched by the URL fragment (#try, #models, #training).
import { setupKeyButton } from './api.js';
import { initModels, refreshModelsView } from './models.js';
import { initTraining, refreshJobs } from './training.js';
import { initTry, refreshModels } from './try.js';

const VIEWS = ['try', 'models', 'training'];

function currentView() {
  const name = location.hash.replace('#', '');
  return VIEWS.includes(name) ? name : 'try';
}

function showView() {
  const view = currentView();
  VIEWS.forEach(v => {
    document.getElementById(`view-${v}`).hidden = v !== view;
    const link = document.querySelector(`[data-nav="${v}"]`);
    if (v === view) {
      link.setAttribute('aria-current', 'page');
    } else {
      link.removeAttribute('aria-current');
    }
  });
  document.body.dataset.view = view;
  if (view === 'models') {
    refreshModelsView();
  } else if (view === 'training') {
    refreshJobs();
  }
}

/** Opens "Try it" with a model version selected. */
async function tryModel(name, version) {
  location.hash = '#try';
  await refreshModels(name, version);
}

async function start() {
  setupKeyButton();
  initModels(() => refreshModels(), tryModel);
  window.addEventListener('hashchange', () => {
    showView();
    document.getElementById('main').focus({ preventScroll: true });
  });
  showView();
  await Promise.all([
    initTry(),
    initTraining(() => refreshModels(), tryModel),
  ]);
  document.body.dataset.ready = 'true';
}

start();
