// Loaded by the first cell of every notebook (`#load "setup.csx"`). It builds lib/ when its sources
// changed, then references the fresh LlmFromScratch.dll, so a notebook never runs a stale library.
// If lib/ was rebuilt after this kernel loaded it, it says so: restart the kernel and run again.
#nullable enable
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Formatting;

static string CourseRoot()
{
    for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "course.sln"))) return dir.FullName;
    if (Environment.GetEnvironmentVariable("COURSE_ROOT") is { Length: > 0 } root) return root;
    throw new InvalidOperationException(
        $"Could not find course.sln above {Environment.CurrentDirectory}. Open the notebook from the repository's notebooks/ folder.");
}

static Guid Mvid(string dll)
{
    using var pe = new PEReader(File.OpenRead(dll));
    var md = pe.GetMetadataReader();
    return md.GetGuid(md.GetModuleDefinition().Mvid);
}

var courseRoot = CourseRoot();
var courseLib = Path.Combine(courseRoot, "lib", "LlmFromScratch", "bin", "Release", "net10.0", "LlmFromScratch.dll");
if (Environment.GetEnvironmentVariable("COURSE_LIB_BUILT") != "1" || !File.Exists(courseLib))
{
    var psi = new ProcessStartInfo("dotnet", $"build \"{Path.Combine(courseRoot, "lib", "LlmFromScratch")}\" -c Release --nologo -v q -clp:ErrorsOnly")
        { RedirectStandardOutput = true, RedirectStandardError = true };
    using var build = Process.Start(psi)!;
    var buildOut = build.StandardOutput.ReadToEndAsync();
    var buildErr = build.StandardError.ReadToEnd();
    build.WaitForExit();
    if (build.ExitCode != 0)
        throw new InvalidOperationException($"Building lib/LlmFromScratch failed:\n{buildOut.Result}{buildErr}");
}

var alreadyLoaded = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == "LlmFromScratch");
if (alreadyLoaded is not null)
{
    if (alreadyLoaded.ManifestModule.ModuleVersionId != Mvid(courseLib))
        throw new InvalidOperationException("lib/ was rebuilt after this kernel loaded it. Restart the kernel, then run the notebook again.");
}
else
{
    // The library and the packages whose types notebooks use directly.
    var libDir = Path.GetDirectoryName(courseLib)!;
    var references = new[] { "LlmFromScratch", "TorchSharp", "Microsoft.ML.Tokenizers", "Plotly.NET", "Plotly.NET.CSharp", "FSharp.Core", "DynamicObj" }
        .Select(name => Path.Combine(libDir, name + ".dll"));
    ((CSharpKernel)KernelInvocationContext.Current.HandlingKernel).AddAssemblyReferences(references);
}

// Plotly.NET charts render as HTML both in VS Code and in `course run`'s executed notebooks.
AppDomain.CurrentDomain.AssemblyLoad += (_, e) =>
{
    if (e.LoadedAssembly.GetName().Name != "Plotly.NET") return;
    var chartType = e.LoadedAssembly.GetType("Plotly.NET.GenericChart")!;
    var toHtml = chartType.GetMethod("toEmbeddedHTML")!;
    Formatter.Register(e.LoadedAssembly.GetType("Plotly.NET.GenericChart+GenericChart")!,
        (chart, writer) => writer.Write((string)toHtml.Invoke(null, new[] { chart })!), HtmlFormatter.MimeType);
};
