import { type Api, createApi } from '../transfer/api.ts';

/** The pages' API client: the page's own origin, and an access token once one is entered (UploadPage). */
export const pageApi = (token?: string): Api => createApi({ base: location.origin, token });

/** For the calls that need no token: the server's config, file info, early deletes. */
export const api = pageApi();
