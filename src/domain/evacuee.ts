/** Evacuee ids look like `EV-00042`: the roster is the only source of them. A pass begins with one. */
export const EVACUEE_ID_SOURCE = 'EV-\\d{5,9}';
const EVACUEE_ID_PATTERN = new RegExp(`^${EVACUEE_ID_SOURCE}$`);

export interface Evacuee {
  readonly id: string;
  readonly name: string;
}

export function isEvacueeId(value: string): boolean {
  return EVACUEE_ID_PATTERN.test(value);
}

export function evacueeIdFor(index: number): string {
  return `EV-${String(index).padStart(5, '0')}`;
}

const FIRST = [
  'Ada',
  'Bo',
  'Chen',
  'Dara',
  'Eli',
  'Farah',
  'Gus',
  'Hana',
  'Ivo',
  'Juno',
  'Kai',
  'Lena',
  'Mo',
  'Nia',
  'Oren',
  'Pia',
  'Quinn',
  'Rui',
  'Sol',
  'Tove',
];
const LAST = [
  'Abara',
  'Berg',
  'Costa',
  'Dube',
  'Eriksen',
  'Fujita',
  'Garcia',
  'Haddad',
  'Ito',
  'Jensen',
  'Kowalski',
  'Lind',
  'Mensah',
  'Novak',
  'Okafor',
  'Park',
  'Quispe',
  'Rossi',
  'Silva',
  'Tanaka',
];

/** A deterministic demo name, so a generated roster is reproducible. */
export function demoName(index: number): string {
  const first = FIRST[index % FIRST.length] ?? 'Ada';
  const last = LAST[Math.floor(index / FIRST.length) % LAST.length] ?? 'Abara';
  return `${first} ${last}`;
}
