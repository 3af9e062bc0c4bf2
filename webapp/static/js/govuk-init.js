// Starts govuk-frontend's components (error summary focus, conditional reveal, character count,
// service navigation menu…). Pages work without it: this only improves them.
import { initAll } from "../vendor/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
