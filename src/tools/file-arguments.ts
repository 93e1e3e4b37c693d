/**
 * The `_meta` key of tools/list under which a tool lists its arguments that name files (relative to
 * `project_root`), for a client that runs where the code is (the bridge) to read and attach them.
 * A module of its own: the bridge imports it and nothing else of the server's tools.
 */
export const FILE_ARGUMENTS_META = 'supervisor/file_arguments';

/**
 * The `_meta` key under which a tool names its argument that holds a path (relative to `project_root`)
 * to save the answer to: the bridge writes the file, where the code is.
 */
export const OUTPUT_FILE_META = 'supervisor/output_file';
