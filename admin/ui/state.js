import {get} from "./api.js";

// state is shared by the views: the session, the config as the console
// shows it, and the decisions stream, which runs whatever page is shown.
export const state = {session: null, config: null, decisions: null};

export async function loadConfig() {
  state.config = await get("/ui/api/config");
  return state.config;
}
