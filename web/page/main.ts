/**
 * The Exodus page: the wish form, your wishes' live status, the wall and the tally. Built by esbuild
 * into one module (no inline script: the CSP forbids it), talking only to this origin's API.
 */
import { MyWishes } from './my-wishes.js';
import { Pause } from './pause.js';
import { startTally } from './tally.js';
import { startWall } from './wall.js';
import { WishForm } from './wish-form.js';

/** The API serves the wall from a cache up to this old: a wish just stored shows on a read after it. */
const WALL_CACHE_MS = 1000;

const pause = new Pause();
const refreshWall = startWall(pause);
// When one of your wishes is stored, look at the wall at once and again once the cache has turned.
const mine = new MyWishes(pause, () => {
  refreshWall();
  setTimeout(refreshWall, WALL_CACHE_MS + 200);
});
new WishForm(pause, mine);
startTally(pause);
