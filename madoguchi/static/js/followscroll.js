// The resident's chat page scrolls as a whole: the newest line stays in view when lines arrive or the room above
// changes (banners, cards), unless the resident scrolled up to read back.

export class FollowNewest {
  /** @param {HTMLElement} main the scrolling box */
  constructor(main) {
    this.main = main;
    this.following = true;
    let lastTop = main.scrollTop;
    main.addEventListener("scroll", () => {
      // Only a move up (the resident reading back) stops following; a box that shrank under us does not.
      if (main.scrollHeight - main.scrollTop - main.clientHeight < 48) this.following = true;
      else if (main.scrollTop < lastTop - 4) this.following = false;
      lastTop = main.scrollTop;
    });
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(() => this.following && (main.scrollTop = main.scrollHeight)).observe(main);
    }
  }

  /** Show the newest line and follow again. */
  toNewest() {
    this.main.scrollTop = this.main.scrollHeight;
    this.following = true;
  }
}
