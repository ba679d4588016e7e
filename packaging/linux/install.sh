#!/bin/sh
# Installs RLM Desktop for the current user, without administrator rights, from the unpacked
# rlm-desktop folder this script sits in; `install.sh --uninstall` removes it again.
# POSIX sh. What it writes (and all that --uninstall removes):
#   $XDG_DATA_HOME/rlm-desktop-program/app/                  the program (a copy of this folder)
#   $XDG_DATA_HOME/applications/rlm-desktop.desktop          the menu entry
#   $XDG_DATA_HOME/icons/hicolor/256x256/apps/rlm-desktop.png
#   $XDG_DATA_HOME/icons/hicolor/scalable/apps/rlm-desktop.svg
#   ~/.local/bin/rlm, ~/.local/bin/rlm-desktop               links to the program
# ($XDG_DATA_HOME is ~/.local/share unless set.) The library, settings and saved analyses
# are the user's data and are never touched: they live in $XDG_DATA_HOME/rlm-desktop (apart from the program)
# and $XDG_CONFIG_HOME/rlm-desktop; `rlm info` prints the folders.

set -eu

NAME=rlm-desktop
COMMANDS="rlm rlm-desktop"

say() { printf '%s\n' "$*"; }
fail() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

usage() {
    cat <<EOF
Usage: ./install.sh [--uninstall | --help]

Installs RLM Desktop for you alone (no administrator password needed): the program goes to
$app_dir,
a menu entry and icon are added, and the commands rlm and rlm-desktop are linked into
$bin_dir.
Run it again from a newer download to update.

  --uninstall  remove the program, its menu entry, icon and links. Your library, settings
               and saved analyses are kept (in $data_dir and $config_dir).
  --help       show this text.
EOF
}

# An absolute folder from an XDG variable, or the default when unset, empty or relative
# (the XDG spec says to ignore relative values).
xdg_dir() {
    case ${1:-} in
        /*) printf '%s' "$1" ;;
        *) printf '%s' "$2" ;;
    esac
}

[ -n "${HOME:-}" ] || fail "HOME is not set, so there is no home folder to install into."
data_home=$(xdg_dir "${XDG_DATA_HOME:-}" "$HOME/.local/share")
config_home=$(xdg_dir "${XDG_CONFIG_HOME:-}" "$HOME/.config")
data_dir=$data_home/$NAME
config_dir=$config_home/$NAME
# The program apart from the data folder: deleting the data never deletes the program.
program_dir=$data_home/$NAME-program
app_dir=$program_dir/app
applications=$data_home/applications
desktop_file=$applications/$NAME.desktop
hicolor=$data_home/icons/hicolor
icon_png=$hicolor/256x256/apps/$NAME.png
icon_svg=$hicolor/scalable/apps/$NAME.svg
bin_dir=$HOME/.local/bin

# The Exec= value for a path: quoted as the Desktop Entry spec asks (inside double quotes
# ", `, $ and \ take a backslash), then escaped again as a string value (\ becomes \\);
# % starts a field code, so it is doubled.
exec_value() {
    printf '%s' "$1" | sed -e 's/\\/\\\\\\\\/g' -e 's/["`$]/\\\\&/g' -e 's/%/%%/g' \
        -e 's/^/"/' -e 's/$/"/'
}

# A string value (Icon=, TryExec=): only the backslash is escaped.
string_value() {
    printf '%s' "$1" | sed -e 's/\\/\\\\/g'
}

# Run a cache tool on a folder only where a cache already exists: without one, desktops read
# the folder itself, and a new cache would hide what other programs add later without
# refreshing it.
refresh_caches() {
    if [ -f "$applications/mimeinfo.cache" ] && command -v update-desktop-database >/dev/null 2>&1
    then
        update-desktop-database -q "$applications" 2>/dev/null || true
    fi
    if [ -f "$hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1
    then
        gtk-update-icon-cache -q -t -f "$hicolor" 2>/dev/null || true
    fi
}

# Is $1 a link this script made (pointing into the installed program)?
our_link() {
    [ -L "$1" ] || return 1
    case $(readlink "$1") in
        "$app_dir"/*) return 0 ;;
        *) return 1 ;;
    esac
}

install_app() {
    here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd -P)
    for needed in rlm-desktop rlm; do
        [ -f "$here/$needed" ] && [ -x "$here/$needed" ] && continue
        fail "$here/$needed is missing. Run install.sh from inside the unpacked $NAME folder."
    done
    [ -d "$here/_internal" ] ||
        fail "$here/_internal is missing. Unpack the whole download again, then run install.sh from it."
    for needed in "$NAME.desktop" "$NAME.png" "$NAME.svg"; do
        [ -f "$here/$needed" ] ||
            fail "$here/$needed is missing. Unpack the whole download again, then run install.sh from it."
    done
    case $app_dir in
        *'
'*) fail "The folder $data_home has a line break in its name; set XDG_DATA_HOME to another folder." ;;
    esac
    mkdir -p "$program_dir"
    installed=$(cd "$program_dir" && if [ -d app ]; then cd app && pwd -P; fi)
    if [ "$installed" = "$here" ]; then
        fail "This is the installed copy. To update, run install.sh from a newly unpacked download; to remove the program, run: $0 --uninstall"
    fi

    # Copy beside the old version, then swap, so a failed copy leaves the old one working.
    rm -rf "$program_dir"/.app-new.* "$program_dir"/.app-old.*
    staging=$(mktemp -d "$program_dir/.app-new.XXXXXX")
    trap 'rm -rf "$staging"' EXIT
    trap 'exit 1' HUP INT TERM
    say "Copying the program to $app_dir ..."
    cp -RPp "$here/." "$staging/" || fail "Could not copy the program into $program_dir (is the disk full?)."
    chmod 755 "$staging"
    if [ -e "$app_dir" ]; then
        old=$program_dir/.app-old.$$
        mv "$app_dir" "$old"
        if ! mv "$staging" "$app_dir"; then
            mv "$old" "$app_dir"
            fail "Could not put the new version in place; the previous one is still installed."
        fi
        rm -rf "$old"
    else
        mv "$staging" "$app_dir"
    fi
    trap - EXIT HUP INT TERM

    mkdir -p "$applications" "${icon_png%/*}" "${icon_svg%/*}"
    cp "$app_dir/$NAME.png" "$icon_png"
    cp "$app_dir/$NAME.svg" "$icon_svg"
    exec_line=$(exec_value "$app_dir/rlm-desktop")
    tryexec_line=$(string_value "$app_dir/rlm-desktop")
    icon_line=$(string_value "$icon_png")
    entry=$desktop_file.new.$$
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in
            Exec=*) printf 'Exec=%s\n' "$exec_line" ;;
            TryExec=*) printf 'TryExec=%s\n' "$tryexec_line" ;;
            Icon=*) printf 'Icon=%s\n' "$icon_line" ;;
            *) printf '%s\n' "$line" ;;
        esac
    done <"$app_dir/$NAME.desktop" >"$entry"
    chmod 644 "$entry"
    mv -f "$entry" "$desktop_file"

    mkdir -p "$bin_dir"
    for command in $COMMANDS; do
        link=$bin_dir/$command
        if [ -e "$link" ] || [ -L "$link" ]; then
            if ! our_link "$link"; then
                say "Left $link alone: it is not a link this installer made. Run $app_dir/$command instead."
                continue
            fi
            rm -f "$link"
        fi
        ln -s "$app_dir/$command" "$link"
    done
    refresh_caches

    say "Installed RLM Desktop: find it in your applications menu, or type rlm-desktop."
    case ":${PATH:-}:" in
        *":$bin_dir:"*) ;;
        *) say "Note: $bin_dir is not on your PATH yet, so typing rlm will not work until it is (most systems add it at your next login)." ;;
    esac
    say "Your library, settings and saved analyses will be kept in $data_dir and $config_dir (rlm info prints these folders)."
    say "To remove the program later: $app_dir/install.sh --uninstall"
}

uninstall_app() {
    removed=0
    for command in $COMMANDS; do
        link=$bin_dir/$command
        if our_link "$link"; then
            rm -f "$link"
            removed=1
        elif [ -e "$link" ] || [ -L "$link" ]; then
            say "Left $link alone: it is not a link this installer made."
        fi
    done
    for file in "$desktop_file" "$icon_png" "$icon_svg"; do
        if [ -f "$file" ]; then
            rm -f "$file"
            removed=1
        fi
    done
    # Empty icon folders this installer may have made; rmdir never removes a folder with files.
    for folder in "${icon_png%/*}" "${icon_png%/*/*}" "${icon_svg%/*}" "${icon_svg%/*/*}"; do
        rmdir "$folder" 2>/dev/null || true
    done
    if [ -d "$app_dir" ]; then
        rm -rf "$app_dir"
        removed=1
    fi
    rm -rf "$program_dir"/.app-new.* "$program_dir"/.app-old.*
    rmdir "$program_dir" 2>/dev/null || true
    refresh_caches
    if [ "$removed" = 1 ]; then
        say "Removed RLM Desktop."
    else
        say "RLM Desktop was not installed here: nothing to remove."
    fi
    say "Your library, settings and saved analyses were kept. To delete them as well, delete the folders $data_dir and $config_dir."
    say "API keys you saved stay in your system keyring under the name $NAME: remove them with your keyring's tool (such as Passwords and Keys), or with rlm key delete PROVIDER while RLM Desktop is installed."
}

case ${1:-} in
    "") [ $# -le 1 ] || { usage >&2; exit 2; }; install_app ;;
    --uninstall) [ $# -eq 1 ] || { usage >&2; exit 2; }; uninstall_app ;;
    -h | --help) usage ;;
    *) printf 'install.sh: unknown option %s\n\n' "$1" >&2; usage >&2; exit 2 ;;
esac
