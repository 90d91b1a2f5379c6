foreach (var m in typeof(ScottPlot.IFontResolver).GetMethods()) Console.WriteLine(m);
foreach (var p in typeof(ScottPlot.Fonts).GetProperties()) Console.WriteLine(p + " " + p.CanWrite);
foreach (var m in typeof(ScottPlot.Fonts).GetMethods(System.Reflection.BindingFlags.Static|System.Reflection.BindingFlags.Public)) Console.WriteLine(m);
