#!/usr/bin/env bash
# Register a built Brief Studio with the desktop for the current user (no root needed):
# launcher entry, icons, AppStream metainfo, the bundle MIME type (*.briefbundle.zip opens the
# import), and a `brief-studio` command in ~/.local/bin. The installed launcher's Exec and
# TryExec name APP_DIR/brief-studio by absolute path, so it works without ~/.local/bin on PATH.
#   bash packaging/install_desktop.sh [APP_DIR]      # default APP_DIR: dist/brief-studio
#   bash packaging/install_desktop.sh --uninstall
set -euo pipefail
cd "$(dirname "$0")/.."

DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
BIN="$HOME/.local/bin"
ICON_SIZES=(16 32 48 64 128 256 512)

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$BIN/brief-studio" "$DATA/applications/brief-studio.desktop" \
        "$DATA/metainfo/app.briefstudio.BriefStudio.metainfo.xml" \
        "$DATA/icons/hicolor/scalable/apps/brief-studio.svg"
  for s in "${ICON_SIZES[@]}"; do rm -f "$DATA/icons/hicolor/${s}x${s}/apps/brief-studio.png"; done
  if command -v xdg-mime >/dev/null 2>&1; then
    xdg-mime uninstall packaging/mime/brief-studio-bundle.xml || true
  else
    rm -f "$DATA/mime/packages/brief-studio-bundle.xml"
    command -v update-mime-database >/dev/null 2>&1 && update-mime-database "$DATA/mime" || true
  fi
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$DATA/applications" || true
  echo "install_desktop: removed Brief Studio's desktop integration"
  exit 0
fi

APP_DIR="$(cd "${1:-dist/brief-studio}" && pwd)"
if [ ! -x "$APP_DIR/brief-studio" ]; then
  echo "install_desktop: no executable at $APP_DIR/brief-studio; build first: bash scripts/build_package.sh" >&2
  exit 1
fi

mkdir -p "$BIN" "$DATA/applications" "$DATA/metainfo" "$DATA/icons/hicolor/scalable/apps" "$DATA/mime/packages"
ln -sfn "$APP_DIR/brief-studio" "$BIN/brief-studio"
# The launcher names the executable by absolute path: a desktop session's PATH often lacks
# ~/.local/bin, and a TryExec the session cannot find hides the entry.
EXE="$APP_DIR/brief-studio"
exec_arg="$EXE"
case "$EXE" in
  *[[:space:]\"\'\\\>\<\~\|\&\;\$\*\?\#\(\)\`]*)
    # Desktop Entry spec: quote the argument, backslash-escape " ` $ \ inside the quotes
    q=${EXE//\\/\\\\}; q=${q//\"/\\\"}; q=${q//\`/\\\`}; q=${q//\$/\\\$}
    exec_arg="\"$q\"" ;;
esac
exec_arg=${exec_arg//%/%%}          # a literal % is %% in Exec
exec_arg=${exec_arg//\\/\\\\}     # then the string-level escape of every backslash
tryexec=${EXE//\\/\\\\}
tmp_desktop="$(mktemp "$DATA/applications/.brief-studio.desktop.XXXXXX")"
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    Exec=*) printf 'Exec=%s %%f\n' "$exec_arg" ;;
    TryExec=*) printf 'TryExec=%s\n' "$tryexec" ;;
    *) printf '%s\n' "$line" ;;
  esac
done < packaging/brief-studio.desktop > "$tmp_desktop"
chmod 644 "$tmp_desktop"
mv -f "$tmp_desktop" "$DATA/applications/brief-studio.desktop"
install -m 644 packaging/app.briefstudio.BriefStudio.metainfo.xml "$DATA/metainfo/"
install -m 644 resources/icons/app/brief-studio.svg "$DATA/icons/hicolor/scalable/apps/brief-studio.svg"
for s in "${ICON_SIZES[@]}"; do
  mkdir -p "$DATA/icons/hicolor/${s}x${s}/apps"
  install -m 644 "resources/icons/app/brief-studio-$s.png" "$DATA/icons/hicolor/${s}x${s}/apps/brief-studio.png"
done
if command -v xdg-mime >/dev/null 2>&1; then
  xdg-mime install --novendor packaging/mime/brief-studio-bundle.xml
  xdg-mime default brief-studio.desktop application/x-brief-studio-bundle
else
  install -m 644 packaging/mime/brief-studio-bundle.xml "$DATA/mime/packages/"
  command -v update-mime-database >/dev/null 2>&1 && update-mime-database "$DATA/mime"
fi
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
case ":$PATH:" in *":$BIN:"*) ;; *) echo "install_desktop: note: add $BIN to PATH for the brief-studio command" ;; esac
echo "install_desktop: Brief Studio registered (launcher, icons, *.briefbundle.zip -> import)"
