/**
 * The Exodus page: the wish form, your wishes' live status, the wall and the tally. Built by esbuild
 * into one module (no inline script: the CSP forbids it), talking only to this origin's API.
 */
import { MyWishes } from './my-wishes.js';
import { Pause } from './pause.js';
import { startTally } from './tally.js';
import { startWall } from './wall.js';
import { WishForm } from './wish-form.js';

const pause = new Pause();
const refreshWall = startWall(pause);
const mine = new MyWishes(pause, refreshWall);
new WishForm(pause, mine);
startTally(pause);
