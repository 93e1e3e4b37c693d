/**
 * The `_meta` key of tools/list under which a tool lists its arguments that name files (relative to
 * `project_root`), for a client that runs where the code is (the bridge) to read and attach them.
 * A module of its own: the bridge imports it and nothing else of the server's tools.
 */
export const FILE_ARGUMENTS_META = 'supervisor/file_arguments';
