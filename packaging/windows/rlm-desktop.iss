; Inno Setup 6 script (6.3 or later): installs the PyInstaller folder dist\rlm-desktop\ as
; RLM Desktop, for the current user by default (no administrator rights), or for all users.
;
;   iscc /DAppVersion=0.1.0 packaging\windows\rlm-desktop.iss
;
; Relative paths are from this file's folder. Defines (each has a default below):
;   AppVersion  the version shown and in the file name (engine.__version__)
;   BundleDir   the bundle folder packaging/build.py made
;   SetupIcon   the .ico packaging/build.py made with packaging/icons.py
;   OutputDir   where the setup program is written
; Uninstalling removes the program's files (and its PATH entry), never the user's library,
; settings or saved analyses in %LOCALAPPDATA%\rlm-desktop.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\rlm-desktop"
#endif
#ifndef SetupIcon
  #define SetupIcon "..\..\build\assets\rlm-desktop.ico"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

[Setup]
; Fixed for good: Windows knows an installed app, its updates and its uninstaller by it.
AppId={{3C5A930D-B245-451F-A601-C4C825B66FF4}
AppName=RLM Desktop
AppVersion={#AppVersion}
AppVerName=RLM Desktop {#AppVersion}
AppPublisher=RLM Desktop contributors
VersionInfoDescription=RLM Desktop setup
DefaultDirName={autopf}\RLM Desktop
DefaultGroupName=RLM Desktop
DisableProgramGroupPage=yes
; Per user unless the person picks "all users" in the first dialog (then Windows asks for
; an administrator). {autopf} is then %LOCALAPPDATA%\Programs or Program Files.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
LicenseFile=..\..\LICENSE
SetupIconFile={#SetupIcon}
UninstallDisplayIcon={app}\rlm-desktop.exe
UninstallDisplayName=RLM Desktop
OutputDir={#OutputDir}
OutputBaseFilename=rlm-desktop-{#AppVersion}-windows-setup
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; The PATH task writes HKCU\Environment; tell running programs when it changes.
ChangesEnvironment=yes
; The PATH entry is the installing person's own, even in an all-users install: no warning.
UsedUserAreasWarning=no
; An update closes a running RLM Desktop first (Restart Manager).
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the rlm command to PATH (to use it in a terminal)"; GroupDescription: "Command line:"; Flags: unchecked

[Files]
; The whole bundle: rlm-desktop.exe, rlm.exe, _internal\, LICENSE, THIRD-PARTY-NOTICES.txt.
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\RLM Desktop"; Filename: "{app}\rlm-desktop.exe"; WorkingDir: "{app}"; Comment: "Ask questions of your documents and get answers that cite the page"
Name: "{autodesktop}\RLM Desktop"; Filename: "{app}\rlm-desktop.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Registry]
; The user's own PATH (HKCU\Environment), only when the folder is not on it yet.
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}')); Flags: preservestringtype

[Run]
Filename: "{app}\rlm-desktop.exe"; Description: "{cm:LaunchProgram,RLM Desktop}"; Flags: nowait postinstall skipifsilent

[Code]
const
  EnvironmentKey = 'Environment';

{ True when Dir is not yet one of the entries of the user's PATH. }
function NeedsAddPath(Dir: string): Boolean;
var
  Paths: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, EnvironmentKey, 'Path', Paths) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;

{ Take Dir out of the user's PATH, leaving every other entry as it was. }
procedure RemovePath(Dir: string);
var
  Paths: string;
  P: Integer;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, EnvironmentKey, 'Path', Paths) then
    exit;
  P := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';');
  if P = 0 then
    exit;
  if P = 1 then
    Delete(Paths, 1, Length(Dir) + 1)
  else
    Delete(Paths, P - 1, Length(Dir) + 1);
  RegWriteExpandStringValue(HKEY_CURRENT_USER, EnvironmentKey, 'Path', Paths);
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usUninstall then
    RemovePath(ExpandConstant('{app}'));
  if (CurUninstallStep = usPostUninstall) and not UninstallSilent then
    MsgBox('RLM Desktop was removed. Your library, settings and saved analyses were kept in '
      + ExpandConstant('{localappdata}\rlm-desktop') + '; delete that folder to remove them too. '
      + 'API keys you saved stay in Windows Credential Manager (entries naming rlm-desktop).',
      mbInformation, MB_OK);
end;
