// Copies govuk-frontend's browser module (and its source map) to where Django serves statics.
import { copyFileSync, mkdirSync } from "node:fs";

const from = "node_modules/govuk-frontend/dist/govuk/";
const to = "build/static/vendor/govuk-frontend/";
mkdirSync(to, { recursive: true });
for (const name of ["govuk-frontend.min.js", "govuk-frontend.min.js.map"]) {
  copyFileSync(from + name, to + name);
}
