using LlmFromScratch.Finetuning;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Finetuning;

public class ModuleSurgeryTests
{
    /// <summary>A GPT-shaped toy: children in fields, one declared loosely (replaceable), one declared as Linear.</summary>
    private sealed class Toy : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> trf_blocks;
        private readonly ModuleList<nn.Module<Tensor, Tensor>> layers;
        private readonly nn.Module<Tensor, Tensor> out_head;
        private readonly Linear fixed_head;

        public Toy() : base(nameof(Toy))
        {
            trf_blocks = nn.Sequential(("0", nn.Linear(4, 4)));
            layers = nn.ModuleList<nn.Module<Tensor, Tensor>>(nn.Linear(4, 4));
            out_head = nn.Linear(4, 10);
            fixed_head = nn.Linear(4, 10);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => out_head.call(layers[0].call(trf_blocks.call(x)));
    }

    [Fact]
    public void ReplaceChild_SwapsAFieldAndItsRegistration_KeepingTheKeyOrder()
    {
        using var toy = new Toy();
        var head = nn.Linear(4, 2);

        var old = ModuleSurgery.ReplaceChild(toy, "out_head", head);

        old.Should().BeOfType<Linear>();
        toy.call(zeros(3, 4)).shape.Should().Equal(3, 2);   // forward uses the new head
        toy.named_children().Select(c => c.name).Should().Equal("trf_blocks", "layers", "out_head", "fixed_head");
        toy.state_dict()["out_head.weight"].shape.Should().Equal(2, 4);
    }

    [Fact]
    public void ReplaceChild_WorksInsideSequentialAndModuleList()
    {
        using var toy = new Toy();
        var blocks = toy.named_children().Single(c => c.name == "trf_blocks").module;
        var list = toy.named_children().Single(c => c.name == "layers").module;

        ModuleSurgery.ReplaceChild(blocks, "0", nn.Identity());
        ModuleSurgery.ReplaceChild(list, "0", nn.Identity());

        toy.state_dict().Keys.Should().Equal("out_head.weight", "out_head.bias", "fixed_head.weight", "fixed_head.bias");
        blocks.named_children().Single().module.Should().BeOfType<Identity>();
        list.named_children().Single().module.Should().BeOfType<Identity>();
    }

    /// <summary>Containers register their items only when a parent registers them, so they sit in a module here.</summary>
    private sealed class Containers : nn.Module<Tensor, Tensor>
    {
        public readonly ModuleDict<nn.Module<Tensor, Tensor>> dict;
        public readonly ModuleList<Linear> linears;

        public Containers() : base(nameof(Containers))
        {
            dict = nn.ModuleDict<nn.Module<Tensor, Tensor>>(("a", nn.Linear(2, 2)), ("b", nn.Linear(2, 3)));
            linears = nn.ModuleList(nn.Linear(2, 2));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => dict["b"].call(dict["a"].call(linears[0].call(x)));
    }

    [Fact]
    public void ReplaceChild_WorksInsideModuleDict_AndRejectsATypeAListCannotHold()
    {
        using var containers = new Containers();

        ModuleSurgery.ReplaceChild(containers.dict, "a", nn.Identity());
        var act = () => ModuleSurgery.ReplaceChild(containers.linears, "0", nn.Identity());

        containers.dict["a"].Should().BeOfType<Identity>();
        containers.state_dict().Keys.Should().Equal("dict.b.weight", "dict.b.bias", "linears.0.weight", "linears.0.bias");
        act.Should().Throw<ArgumentException>().WithMessage("*item 0 is declared as Linear, which cannot hold a Identity*");
    }

    [Fact]
    public void ReplaceChild_Throws_NamingTheField_WhenItIsDeclaredAsLinear()
    {
        using var toy = new Toy();

        var act = () => ModuleSurgery.ReplaceChild(toy, "fixed_head", nn.Identity());

        act.Should().Throw<ArgumentException>().WithMessage("field 'fixed_head' of Toy is declared as Linear*declare replaceable children as Module<Tensor, Tensor>*");
    }

    [Fact]
    public void ReplaceChild_Throws_ListingTheChildren_ForAnUnknownName()
    {
        using var toy = new Toy();

        var act = () => ModuleSurgery.ReplaceChild(toy, "head", nn.Identity());

        act.Should().Throw<ArgumentException>().WithParameterName("name").WithMessage("Toy has no child 'head'; its children are: trf_blocks, layers, out_head, fixed_head*");
    }
}
