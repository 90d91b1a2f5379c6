#!/usr/bin/env bash
# Issue 19: what a consumer of the packages publishes and how fast it starts, per set of packages.
#   bash benchmarks/Packages/measure.sh [RUNS] [SET...]     (sets: core core-linux-x64 torch all; default: all four)
# Packs the library's packages (Release) into a temporary feed, trains two diabetes bundles with mlwb (SDCA: ML.NET;
# MLP: TorchSharp), then for each package set writes a console app (the consumer of tests/Samples.Tests/
# PackageConsumerTests), publishes it framework-dependent (plain copies, no hard links, so sizes are what ships) and
# prints its size, file count and largest parts; cold start is process start to the first prediction printed (one row,
# WorkbenchModel.Load + PredictJson), RUNS times (default 5), with the median. Needs a restored repository (the
# third-party packages come, read only, from the user's NuGet folder) and about 3 GB of temporary disk.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"
runs="${1:-5}"
sets=("${@:2}")
[ ${#sets[@]} -gt 0 ] || sets=(core core-linux-x64 torch all)
work="$(mktemp -d "${TMPDIR:-/tmp}/mlwb-packages.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

for project in src/Results/Results.csproj src/Workbench/Workbench.csproj src/MLWorkbench.Onnx/MLWorkbench.Onnx.csproj \
               src/MLWorkbench.Images/MLWorkbench.Images.csproj src/MLWorkbench.Torch/MLWorkbench.Torch.csproj \
               src/Workbench.Hosting/Workbench.Hosting.csproj; do
  dotnet pack "$project" -c Release -o "$work/feed" --nologo -v quiet >/dev/null
done
version="$(ls "$work/feed" | sed -n 's/^MLWorkbench\.\([0-9][^a-zA-Z]*[0-9]\)\.nupkg$/\1/p' | head -n 1)"
echo "## packages ($version)"
(cd "$work/feed" && ls -l *.nupkg | awk '{printf "%-40s %12d B\n", $9, $5}')

mkdir -p "$work/train"
cat > "$work/train/suite.yaml" <<YAML
name: packages
seed: 1
output: out
experiments:
  - { name: tabular, task: regression, data: $repo/datasets/diabetes/diabetes.csv, label: progression, candidates: [sdca] }
  - { name: torch, task: regression, data: $repo/datasets/diabetes/diabetes.csv, label: progression, candidates: [mlp] }
YAML
(cd "$work/train" && dotnet run --project "$repo/src/Experiments" -c Release -- run suite.yaml >/dev/null)
tabular="$work/train/out/tabular.mlwb"
torch="$work/train/out/torch.mlwb"
row='{"age": 59, "sex": 2, "bmi": 32.1, "bp": 101, "s1": 157, "s2": 93.2, "s3": 38, "s4": 4, "s5": 4.8598, "s6": 87}'
user_packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"

consumer() { # NAME RID PACKAGE...: writes and publishes a consumer of the packages (RID "": portable); prints nothing
  local name="$1" rid="$2"; shift 2
  local app="$work/$name"
  mkdir -p "$app"
  echo "<Project />" > "$app/Directory.Build.props"; echo "<Project />" > "$app/Directory.Build.targets"
  {
    echo '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework>'
    echo '<ImplicitUsings>enable</ImplicitUsings><Nullable>enable</Nullable></PropertyGroup><ItemGroup>'
    for p in "$@"; do echo "<PackageReference Include=\"$p\" Version=\"$version\" />"; done
    echo '</ItemGroup></Project>'
  } > "$app/Consumer.csproj"
  cat > "$app/Program.cs" <<'CS'
using MLWorkbench.Serving;
using MLWorkbench.Tasks;
foreach (var path in args.Skip(1))
{
    try
    {
        using var model = WorkbenchModel.Load(path);
        Console.WriteLine($"{Path.GetFileName(path)}\t{model.PredictJson(args[0]).ReplaceLineEndings(" ")}");
    }
    catch (WorkbenchInputException e)
    {
        Console.WriteLine($"{Path.GetFileName(path)}\trefused: {e.Message}");
    }
}
CS
  cat > "$app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config><add key="globalPackagesFolder" value="$app/packages" /></config>
  <packageSources><clear /><add key="feed" value="$work/feed" /></packageSources>
  <fallbackPackageFolders><clear /><add key="user" value="$user_packages" /></fallbackPackageFolders>
</configuration>
XML
  # Framework-dependent either way; a RID keeps only that system's native libraries.
  (cd "$app" && dotnet publish -c Release -o publish ${rid:+-r "$rid" --self-contained false} --nologo -v quiet >/dev/null)
}

cold() { # APP BUNDLE: median of $runs cold starts in ms, and the last output
  local app="$1" bundle="$2" times=() out=""
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    out="$(dotnet "$work/$app/publish/Consumer.dll" "$row" "$bundle")"
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  local sorted
  sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
  echo "${sorted}(median $(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p") ms) -> ${out:0:160}"
}

for name in "${sets[@]}"; do
  case "$name" in
    core) rid=""; packages="MLWorkbench" ;;
    core-linux-x64) rid="linux-x64"; packages="MLWorkbench" ;;
    torch) rid=""; packages="MLWorkbench MLWorkbench.Torch" ;;
    all) rid=""; packages="MLWorkbench MLWorkbench.Torch MLWorkbench.Hosting" ;;
    *) echo "unknown set $name" >&2; exit 2 ;;
  esac
  # shellcheck disable=SC2086
  consumer "$name" "$rid" $packages
  publish="$work/$name/publish"
  echo "## $name ($packages${rid:+, -r $rid}): $(du -sb --apparent-size "$publish" | cut -f1) B in $(find "$publish" -type f | wc -l) files"
  echo "  managed assemblies at the top: $(find "$publish" -maxdepth 1 -name '*.dll' -printf '%s\n' | awk '{s+=$1} END {print s+0}') B;" \
       "runtimes/: $( (du -sb --apparent-size "$publish/runtimes" 2>/dev/null || echo 0) | cut -f1) B"
  echo "  largest parts:"
  (cd "$publish" && { find . -maxdepth 1 -type f -printf '%s %P\n'; for s in */*/; do if [ -d "$s" ]; then echo "$(du -sb --apparent-size "$s" | cut -f1) $s"; fi; done; } | sort -rn | head -n 8 | awk '{printf "    %12d B  %s\n", $1, $2}')
  echo "  native libraries by name, every runtime together:"
  find "$publish" -path '*native*' -type f -printf '%s %f\n' | awk '{sub(/\.(so|dll|dylib|a)$/, "", $2); s[$2]+=$1} END {for (n in s) printf "    %12d B  %s\n", s[n], n}' | sort -rn | head -n 6
  echo "  cold start, tabular bundle: $(cold "$name" "$tabular")"
  echo "  cold start, TorchSharp bundle: $(cold "$name" "$torch")"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
