// SVG -> PNG through resvg (a complete SVG renderer, via @resvg/resvg-js) using the system's
// fonts; without any font installed the text would silently vanish, so that is an error.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', path.join(process.env.HOME ?? '/', '.fonts'), path.join(process.env.HOME ?? '/', '.local/share/fonts'), '/System/Library/Fonts', '/Library/Fonts', 'C:\\Windows\\Fonts'];

function hasFont(dir: string, depth = 0): boolean {
  if (depth > 4 || !existsSync(dir)) return false;
  try {
    return readdirSync(dir, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? hasFont(path.join(dir, e.name), depth + 1) : /\.(ttf|otf|ttc)$/i.test(e.name),
    );
  } catch {
    return false;
  }
}

export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  if (!FONT_DIRS.some((d) => hasFont(d)))
    throw new Error('plotHistory: PNG output needs a TrueType/OpenType font on the system and none was found; install one (Debian/Ubuntu: apt-get install fonts-dejavu-core) or write .svg/.html instead');
  const { Resvg } = await import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
