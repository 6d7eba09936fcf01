// The staff login page. Its only script: it removes any wrap-up draft left in this tab or browser (wrapupdraft.js),
// because whoever sees this page is not logged in — the last login ended (logout, expiry, a disabled account) and
// the raw notes typed under it must not wait here for the next person at this computer. The form works without it.

import { forgetAllDrafts } from "./wrapupdraft.js";

forgetAllDrafts();
