using Xunit;

namespace MLWorkbench.Reports.Tests;

public class NumberFormatTests
{
    [Theory]
    [InlineData(51.78272046329624, "51.78")]
    [InlineData(0.5065383640860195, "0.5065")]
    [InlineData(0.0765567, "0.07656")]
    [InlineData(1.3982725, "1.398")]
    [InlineData(12345.6, "12346")]
    [InlineData(-0.123449, "-0.1234")]
    [InlineData(9.99996, "10.00")]
    [InlineData(0.5, "0.5000")]
    [InlineData(0, "0")]
    [InlineData(0.0000123456, "1.235e-05")]
    [InlineData(25000000, "2.5e+07")]
    [InlineData(double.NaN, "NaN")]
    public void Significant_keeps_four_significant_digits(double value, string expected) =>
        Assert.Equal(expected, NumberFormat.Significant(value));
}
