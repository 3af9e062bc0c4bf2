// Starts govuk-frontend's components (error summary focus, character count, service navigation
// menu…). Pages work without it: this only improves them.
//
// Radios and checkboxes are not started through govuk-frontend: its conditional reveal sets
// aria-expanded on the inputs, which the radio and checkbox roles do not support (axe-core:
// aria-allowed-attr, critical). The reveal below shows a follow-up question under the answer
// that asks it, with aria-controls only.
import {
  Accordion, Button, CharacterCount, ErrorSummary, ExitThisPage, FileUpload, Header,
  NotificationBanner, PasswordInput, ServiceNavigation, SkipLink, Tabs, createAll,
} from "../vendor/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
for (const component of [Accordion, Button, CharacterCount, ErrorSummary, ExitThisPage,
  FileUpload, Header, NotificationBanner, PasswordInput, ServiceNavigation, SkipLink, Tabs]) {
  createAll(component);
}

const HIDDEN = {
  radio: "govuk-radios__conditional--hidden",
  checkbox: "govuk-checkboxes__conditional--hidden",
};

function revealFollowUps() {
  for (const input of document.querySelectorAll("input[data-aria-controls]")) {
    const target = document.getElementById(input.dataset.ariaControls);
    if (!target || !(input.type in HIDDEN)) continue;
    input.setAttribute("aria-controls", target.id);
    target.classList.toggle(HIDDEN[input.type], !input.checked);
  }
}

document.addEventListener("change", (event) => {
  if (event.target instanceof HTMLInputElement && event.target.type in HIDDEN) {
    revealFollowUps();
  }
});
revealFollowUps();
