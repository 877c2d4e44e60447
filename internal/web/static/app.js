// Progressive enhancement only: every page works without this file.
import { initAll } from './nhsuk-frontend.min.js'

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()

// A filter's select never submits on its own: a keyboard user steps
// through its options, and the page moving under them at each (WCAG 3.2.2,
// On Input) loses their place. The form's button shows the choice.
// A print button shows only where it can work.
for (const button of document.querySelectorAll('[data-print]')) {
  button.hidden = false
  button.addEventListener('click', () => window.print())
}

// Away day pages update themselves: a stream of the round's state
// (Server-Sent Events), or, where that fails, a look every two seconds.
// Turnout is updated in place; when the question changes or closes the page
// is reloaded, unless an answer is being typed on it, which is never wiped:
// a note offers the next question instead.
const live = document.querySelector('[data-live]')
if (live) {
  const here = live.dataset.decision
  const closed = live.dataset.closed === '1'
  let touched = false
  for (const form of document.querySelectorAll('form[data-ballot]')) {
    form.addEventListener('input', () => { touched = true })
  }
  const apply = (state) => {
    if (state.hello) return
    for (const el of live.querySelectorAll('[data-turnout]')) {
      el.textContent = (state.turnout && state.turnout[el.dataset.turnout]) || 0
    }
    for (const el of live.querySelectorAll('[data-voters]')) el.textContent = state.voters || 0
    const moved = String(state.decision) !== here || (state.closed && !closed)
    if (!moved) return
    if (touched) {
      const note = live.querySelector('[data-moved]')
      if (note) note.hidden = false
      return
    }
    window.location.reload()
  }
  let polling = false
  const poll = () => {
    if (polling) return
    polling = true
    const tick = () => fetch(live.dataset.poll, { headers: { Accept: 'application/json' } })
      .then((r) => r.json()).then(apply).catch(() => {}).finally(() => setTimeout(tick, 2000))
    tick()
  }
  if ('EventSource' in window) {
    const es = new EventSource(live.dataset.live)
    es.addEventListener('state', (e) => apply(JSON.parse(e.data)))
    es.onerror = () => { es.close(); poll() }
  } else {
    poll()
  }
}

// A form that cannot be undone asks first (without JavaScript it just goes).
for (const form of document.querySelectorAll('form[data-confirm]')) {
  form.addEventListener('submit', (e) => {
    if (!window.confirm(form.dataset.confirm)) e.preventDefault()
  })
}
