/**
 * Loads an adapter package for a target, failing with the fix when it has
 * not been built yet (the packages resolve to src/<pkg>/dist).
 */
export async function loadAdapter<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (module|package)|Failed to (load|resolve)/.test(String(error))) {
      const folder = name.replace('@ward/', '');
      throw new Error(`${name} is not built: run \`npx tsc -b src/${folder}\` first`, { cause: error });
    }
    throw error;
  }
}
