/**
 * Waits, inside Home Assistant's page, until HA's custom-element registry is the one in force.
 *
 * HA's app bundle installs the scoped custom element registry polyfill: it replaces
 * `window.customElements` with a registry of its own (whose `get` and `whenDefined` know only what
 * was defined through it) and `window.HTMLElement` with its own constructor. The bridge's
 * `frontend.add_extra_js_url` makes HA's index page `import()` this bundle alongside HA's app, and
 * whichever arrives first runs first. A bundle that ran first defined its elements in the browser's
 * native registry, on classes extending the native HTMLElement: HA's `customElements.get` never saw
 * them, its `whenDefined` never resolved, and every card stayed HA's "Custom element doesn't exist"
 * card until a reload happened to run HA first (the "card missing now and then" of issue 14).
 *
 * So inside HA's page (it has a `<home-assistant>` element before any script runs) the bundle
 * builds and defines its classes only once HA has defined `home-assistant`, which its app does after
 * installing the polyfill. Outside HA (the add-on's panel, tests) there is nothing to wait for.
 */
export function whenHostRegistryReady(doc: Document = document): Promise<void> {
  if (doc.querySelector('home-assistant') === null) return Promise.resolve();
  // The registry in force now: native before HA's app ran. The polyfill defines a stand-in for each
  // name in the native registry too, so the native `whenDefined` resolves once HA has defined it.
  return customElements.whenDefined('home-assistant').then(() => undefined);
}
