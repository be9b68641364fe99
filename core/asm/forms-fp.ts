import type { Form } from "./form.js";
export function fpSimdForms(): Form[] { return []; }
