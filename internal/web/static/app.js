// Progressive enhancement only: every page works without this file.
import { initAll } from './nhsuk-frontend.min.js'

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()

// Submitting a filter select changes the page at once; without JavaScript
// the form's own button does the same.
for (const select of document.querySelectorAll('select[data-autosubmit]')) {
  select.addEventListener('change', () => select.form.submit())
}
