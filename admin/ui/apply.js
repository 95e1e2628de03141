import {h} from "./dom.js";
import {call, APIError} from "./api.js";
import {loadConfig} from "./state.js";

// applyFix writes the change through the Admin API: it reads the policy
// with its ETag, adds the value, and writes it back with If-Match, so that
// a change someone else made meanwhile is reported, not overwritten.
export async function applyFix(name, field, value, proposal) {
  const path = "/ui/api/v1/policies/" + encodeURIComponent(name);
  try {
    const cur = await call("GET", path);
    const policy = cur.body.policy || cur.body;
    const list = policy[field] || [];
    if (!list.some((x) => x.toLowerCase() === value.toLowerCase())) list.push(value);
    policy[field] = list;
    const etag = proposal.etag || cur.etag;
    await call("PUT", path, policy, etag ? {"If-Match": etag} : {});
    await loadConfig();
    return h("p", {class: "ok applied"}, "Applied: policy " + name + " now has " + field + " " + JSON.stringify(list) + ".");
  } catch (x) {
    if (x instanceof APIError && (x.status === 409 || x.status === 412)) {
      return h("p", {class: "error conflict"}, "Conflict: policy " + name + " was changed by someone else since it was read. Nothing was overwritten; reload the policy and prepare the fix again.");
    }
    return h("p", {class: "error"}, x.message);
  }
}
