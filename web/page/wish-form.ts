import {
  DESTINATIONS,
  LIMITS,
  TRANSIT_MONTHS,
  arrivalDate,
  charCount,
  describeUnshowable,
  findUnshowable,
  isBlank,
  isPassShaped,
  passProblemOf,
  type Destination,
  type FieldProblem,
  type PassProblem,
} from '../../src/domain/browser.js';
import { ApiError, submitWish } from './api.js';
import { byId, formatDay, h, show } from './dom.js';
import type { MyWishes } from './my-wishes.js';
import { isBackPressure, type Pause } from './pause.js';

const PASS_KEY = 'exodus.pass';
/** Fields that can carry an inline error, by the API's field names. */
const FIELDS = ['pass', 'destination', 'to', 'message'] as const;
type Field = (typeof FIELDS)[number];

/**
 * The submit form: checks what it can before sending (the same limits as the API, counted the same
 * way), shows the API's problem details next to the fields they name, and hands accepted wishes to
 * "Your wishes". A retry of the same wish reuses its Idempotency-Key, so it is never taken twice.
 */
export class WishForm {
  readonly #form = byId('wish-form', HTMLFormElement);
  readonly #pass = byId('pass', HTMLInputElement);
  readonly #to = byId('to', HTMLInputElement);
  readonly #message = byId('message', HTMLTextAreaElement);
  readonly #submit = byId('submit', HTMLButtonElement);
  readonly #status = byId('form-status', HTMLParagraphElement);
  readonly #summary = byId('form-errors', HTMLDivElement);
  readonly #summaryList = byId('form-error-list', HTMLUListElement);
  #idempotency: { key: string; body: string } | undefined;
  #sending = false;

  constructor(
    private readonly pause: Pause,
    private readonly mine: MyWishes,
  ) {
    this.#pass.value = sessionStorage.getItem(PASS_KEY) ?? '';
    for (const destination of DESTINATIONS) {
      byId(`transit-${destination}`, HTMLSpanElement).textContent =
        `${TRANSIT_MONTHS[destination]}-month transit · leaving today, you arrive ${formatDay(arrivalDate(new Date().toISOString(), destination))}`;
    }
    this.#counter(this.#to, 'to-count', LIMITS.toMaxChars);
    this.#counter(this.#message, 'message-count', LIMITS.messageMaxChars);
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#send();
    });
    // The button waits for the script (it ships disabled), for a send in flight and for a pause.
    pause.onChange((active) => {
      this.#updateButton();
      if (!active && this.#idempotency !== undefined) this.#status.textContent = 'You can send your wish again now.';
    });
    this.#updateButton();
  }

  #updateButton(): void {
    this.#submit.disabled = this.#sending || this.pause.active;
  }

  async #send(): Promise<void> {
    if (this.#sending || this.pause.active) return;
    const pass = this.#pass.value.trim();
    const destination = this.#destination();
    // Sent as typed; a blank recipient is no recipient.
    const to = isBlank(this.#to.value) ? '' : this.#to.value;
    const message = this.#message.value;
    const problems = checkLocally(pass, to, message);
    if (problems.length > 0) return this.#showProblems(problems);
    this.#clearProblems();

    const body = { destination, ...(to === '' ? {} : { to }), message };
    const fingerprint = JSON.stringify([pass, body]);
    if (this.#idempotency?.body !== fingerprint) this.#idempotency = { key: crypto.randomUUID(), body: fingerprint };
    sessionStorage.setItem(PASS_KEY, pass);
    this.#sending = true;
    this.#updateButton();
    this.#status.textContent = 'Sending…';
    try {
      const accepted = await submitWish(pass, body, this.#idempotency.key);
      this.#idempotency = undefined;
      this.mine.add(accepted.id, accepted.destination);
      this.#message.value = '';
      this.#to.value = '';
      this.#form.dispatchEvent(new Event('input'));
      this.#status.textContent = 'Sent. Your wish is being screened: follow it under "Your wishes".';
    } catch (error) {
      this.#status.textContent = '';
      // On 429/503 the wish stays in the form and the button comes back when the pause ends.
      if (isBackPressure(error)) this.pause.begin(error, true);
      else this.#showProblems(problemsOf(error));
    } finally {
      this.#sending = false;
      this.#updateButton();
    }
  }

  #destination(): Destination {
    const checked = this.#form.querySelector<HTMLInputElement>('input[name="destination"]:checked');
    return (DESTINATIONS as readonly string[]).includes(checked?.value ?? '')
      ? (checked?.value as Destination)
      : 'mars';
  }

  #counter(input: HTMLInputElement | HTMLTextAreaElement, countId: string, max: number): void {
    const count = byId(countId, HTMLParagraphElement);
    const update = (): void => {
      const n = charCount(input.value);
      count.textContent = `${n.toLocaleString('en-US')} / ${max.toLocaleString('en-US')} characters`;
      count.classList.toggle('over', n > max);
    };
    // Typing bubbles up to the form; so does the event sent after a successful send clears it.
    this.#form.addEventListener('input', update);
    update();
  }

  #showProblems(problems: readonly FieldProblem[]): void {
    this.#clearProblems();
    const items = problems.map((problem) => {
      const field = fieldOf(problem.field);
      const text = `${LABELS[field ?? 'message']}: ${problem.reason}`;
      if (field !== undefined) {
        const error = byId(`${field}-error`, HTMLParagraphElement);
        error.textContent = problem.reason;
        show(error, true);
        this.#control(field)?.setAttribute('aria-invalid', 'true');
        return h(
          'li',
          {},
          h('a', { attrs: { href: `#${field === 'destination' ? 'field-destination' : field}` } }, text),
        );
      }
      return h('li', {}, problem.reason);
    });
    this.#summaryList.replaceChildren(...items);
    show(this.#summary, true);
    this.#summary.focus();
  }

  #clearProblems(): void {
    show(this.#summary, false);
    for (const field of FIELDS) {
      show(byId(`${field}-error`, HTMLParagraphElement), false);
      this.#control(field)?.removeAttribute('aria-invalid');
    }
  }

  #control(field: Field): HTMLElement | null {
    return field === 'destination' ? null : document.getElementById(field);
  }
}

const LABELS: Readonly<Record<Field, string>> = {
  pass: 'Boarding pass',
  destination: 'Destination',
  to: 'To',
  message: 'Your wish',
};

function fieldOf(name: string): Field | undefined {
  return (FIELDS as readonly string[]).includes(name) ? (name as Field) : undefined;
}

/** In the page's own words: the API's wording is for programs (e.g. how to send the header). */
const PASS_WORDS: Readonly<Record<PassProblem, string>> = {
  missing: 'enter the boarding pass printed on your card',
  malformed: 'this is not a boarding pass: copy it exactly as printed on your card (it starts with EV-)',
  invalid: 'this boarding pass was not accepted: check it against your card',
  expired: 'this boarding pass has expired: ask the boarding desk for a new one',
};

/**
 * The API's own rules, checked before sending so the common mistakes need no round trip. A pass
 * must be checked here: a browser refuses to send a header with characters no pass has, and the
 * person would be told that Exodus cannot be reached.
 */
function checkLocally(pass: string, to: string, message: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (pass === '') problems.push({ field: 'pass', reason: PASS_WORDS.missing });
  else if (!isPassShaped(pass)) problems.push({ field: 'pass', reason: PASS_WORDS.malformed });
  const unshowableTo = findUnshowable(to);
  if (unshowableTo !== undefined) problems.push({ field: 'to', reason: describeUnshowable(unshowableTo) });
  else if (charCount(to) > LIMITS.toMaxChars)
    problems.push({ field: 'to', reason: `must be at most ${LIMITS.toMaxChars} characters` });
  const unshowable = findUnshowable(message);
  if (isBlank(message)) problems.push({ field: 'message', reason: 'write your wish first' });
  else if (unshowable !== undefined) problems.push({ field: 'message', reason: describeUnshowable(unshowable) });
  else if (charCount(message) > LIMITS.messageMaxChars)
    problems.push({ field: 'message', reason: `must be at most ${LIMITS.messageMaxChars} characters` });
  return problems;
}

/** The API's answer, as problems for the fields it names. */
function problemsOf(error: unknown): FieldProblem[] {
  if (!(error instanceof ApiError)) return [{ field: '', reason: 'something went wrong; please try again' }];
  const { problem } = error;
  switch (problem.status) {
    case 401:
      return [{ field: 'pass', reason: PASS_WORDS[passProblemOf(problem.type) ?? 'invalid'] }];
    case 413:
      return [{ field: 'message', reason: 'is too long to send' }];
    default:
      if (problem.errors !== undefined && problem.errors.length > 0) return [...problem.errors];
      return [{ field: '', reason: problem.detail ?? problem.title }];
  }
}
