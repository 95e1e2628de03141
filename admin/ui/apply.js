import {h} from "./dom.js";
import {call, APIError} from "./api.js";
import {loadConfig} from "./state.js";

// applyFix writes the change through the Admin API: the policy as it was
// read when the change was prepared (base, with its ETag), with the value
// added, under If-Match, so that a change someone else made since is
// reported, not overwritten.
export async function applyFix(name, field, value, base) {
  const path = "/ui/api/v1/policies/" + encodeURIComponent(name);
  try {
    const policy = structuredClone(base.body);
    const list = policy[field] || [];
    if (!list.some((x) => x.toLowerCase() === value.toLowerCase())) list.push(value);
    policy[field] = list;
    await call("PUT", path, policy, {"If-Match": base.etag});
    await loadConfig();
    return h("p", {class: "ok applied"}, "Applied: policy " + name + " now has " + field + " " + JSON.stringify(list) + ".");
  } catch (x) {
    if (x instanceof APIError && x.status === 409 && x.body && x.body.error && x.body.error.code === "conflict") {
      return h("p", {class: "error conflict"}, "Conflict: policy " + name + " was changed by someone else after this fix was prepared. Nothing was overwritten: prepare the fix again to see the policy as it is now. (" + x.message + ")");
    }
    return h("p", {class: "error"}, x.message);
  }
}
