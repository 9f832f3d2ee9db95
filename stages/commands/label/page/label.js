// The labelling page's behaviour: asks the server for this tab's pair, sends each vote and undo with a
// fresh submit id (retried with the same id, so a flaky connection never labels twice), and shows the
// next pair only after the server has written the label to disk. Server text goes in with textContent only.
const token = document.querySelector('meta[name="tempa-token"]').content;
const newId = () => crypto.randomUUID().replaceAll('-', '');
// sessionStorage outlives a reload but not the tab: a reloaded tab gets its pair back, a second tab its own.
const tab = sessionStorage.getItem('tempa-label-tab') ?? newId();
sessionStorage.setItem('tempa-label-tab', tab);

const $ = (id) => document.getElementById(id);
const VOTE_TEXT = { left: 'A is better', right: 'B is better', tie: 'tie', 'both-bad': 'both are bad' };
const KEYS = { 1: 'left', a: 'left', ArrowLeft: 'left', 2: 'right', b: 'right', ArrowRight: 'right', 3: 'tie', t: 'tie', 4: 'both-bad', x: 'both-bad' };
let view;
let busy = false;

async function call(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch(path, {
        method,
        cache: 'no-store',
        headers: { 'x-tempa-token': token, ...(body && { 'content-type': 'application/json' }) },
        body: body && JSON.stringify(body),
      });
      const text = await response.text();
      let data;
      try {
        data = JSON.parse(text);
      } catch {
        data = { message: text || `${response.status} ${response.statusText}` };
      }
      return { ok: response.ok, data };
    } catch (error) {
      if (attempt >= 2) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300 * (attempt + 1)));
    }
  }
}

const say = (text) => ($('message').textContent = text ?? '');
const percent = (x) => `${(x * 100).toFixed(0)}%`;

function render(next) {
  view = next;
  $('title').textContent = `· ${view.title}`;
  $('progress').textContent = `${view.done} / ${view.total} pairs labelled by ${view.labeller}`;
  $('agreement').textContent = view.agreement
    .map((a) => `agreement with ${a.with}: ${percent(a.raw)} of ${a.overlap} shared pairs, Cohen's κ ${Number.isFinite(a.kappa) ? a.kappa.toFixed(2) : 'undefined'}`)
    .join(' · ');
  const pair = view.pair;
  $('labelling').hidden = !pair;
  $('finished').hidden = Boolean(pair);
  document.body.dataset.pairId = pair ? pair.id : '';
  document.body.dataset.order = pair ? pair.order.join('') : '';
  if (pair) {
    $('prompt').replaceChildren(
      ...pair.prompt.map((turn) => {
        const row = document.createElement('div');
        row.className = 'turn';
        const role = document.createElement('span');
        role.className = 'role';
        role.textContent = turn.role;
        const content = document.createElement('span');
        content.className = 'content';
        content.textContent = turn.content;
        row.append(role, content);
        return row;
      }),
    );
    $('left').textContent = pair.left;
    $('right').textContent = pair.right;
  } else {
    $('finished-detail').textContent = `All ${view.total} pairs have your label. Stop this server (Ctrl-C) and run \`${view.next}\` to train on them; Undo brings back the last pair.`;
  }
  const last = view.last;
  $('last').textContent = last
    ? `last: ${VOTE_TEXT[last.vote]} (pair ${last.pairId.slice(0, 8)}${last.task ? `, ${last.task}` : ''}${last.reference !== undefined ? `, reference answer: ${last.reference}` : ''})`
    : '';
  setBusy(busy);
}

function setBusy(value) {
  busy = value;
  document.body.dataset.busy = String(value);
  for (const button of document.querySelectorAll('.votes button')) button.disabled = value || !view?.pair;
  $('undo').disabled = value || !view?.last;
}

async function send(path, body, onSaved) {
  setBusy(true);
  try {
    const { ok, data } = await call('POST', path, body);
    if (ok) onSaved?.();
    if (data.view) render({ title: view.title, next: view.next, ...data.view });
    say(ok ? '' : data.message);
  } catch (error) {
    say(`not saved (${error.message}): is tempa label still running? Reload to retry.`);
  } finally {
    setBusy(false);
  }
}

function vote(choice) {
  if (busy || !view?.pair) return;
  const rationale = $('rationale').value.trim();
  const body = { tab, submitId: newId(), pairId: view.pair.id, vote: choice, order: view.pair.order, rationale };
  return send('/api/label', body, () => ($('rationale').value = ''));
}

function undo() {
  if (busy || !view?.last) return;
  return send('/api/undo', { tab, submitId: newId(), pairId: view.last.pairId });
}

async function refresh() {
  if (busy) return;
  try {
    const { ok, data } = await call('GET', `/api/state?tab=${tab}`);
    if (ok) render(data);
    else say(data.message);
  } catch (error) {
    say(`cannot reach the label server (${error.message}): is tempa label still running?`);
  }
}

for (const button of document.querySelectorAll('.votes button')) button.addEventListener('click', () => vote(button.dataset.vote));
$('undo').addEventListener('click', () => undo());
document.addEventListener('keydown', (event) => {
  if (event.target instanceof Element && event.target.closest('textarea')) {
    if (event.key === 'Escape') event.target.blur();
    return;
  }
  if ((event.ctrlKey || event.metaKey) && event.key === 'z') {
    event.preventDefault();
    undo();
    return;
  }
  // A held key repeats: one press is one label.
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  if (Object.hasOwn(KEYS, event.key)) {
    event.preventDefault();
    vote(KEYS[event.key]);
  } else if (event.key === 'u' || event.key === 'Backspace') {
    event.preventDefault();
    undo();
  } else if (event.key === 'r') {
    event.preventDefault();
    $('rationale').focus();
  }
});
// Another tab may have labelled meanwhile: coming back to this one shows the current state.
window.addEventListener('focus', () => refresh());
refresh();
