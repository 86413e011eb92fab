# A stand-in for the parts of nixpkgs' `lib` that nixos/modules/reconciler.nix, nix/package.nix and flake.nix use,
# for evaluating them on a machine without nixpkgs (nix/tests/eval-*.nix). Options and types only fill in defaults
# and check strings; the helpers are written as nixpkgs' lib defines them.
rec {
  # Options and types: just enough to fill in defaults and check strings.
  mkOption = attrs: attrs // { _type = "option"; };
  mkEnableOption = name: mkOption {
    type = types.bool;
    default = false;
    description = "Whether to enable ${name}.";
  };
  literalExpression = text: {
    _type = "literalExpression";
    inherit text;
  };
  types = {
    str = {
      name = "str";
      check = builtins.isString;
    };
    bool = {
      name = "bool";
      check = builtins.isBool;
    };
    package = {
      name = "package";
      check = value: value ? outPath;
    };
    path = {
      name = "path";
      check = value: builtins.isPath value || (builtins.isString value && builtins.substring 0 1 value == "/");
    };
    anything = {
      name = "anything";
      check = _: true;
    };
    attrsOf = elemType: {
      name = "attrsOf";
      inherit elemType;
      check = builtins.isAttrs;
    };
    listOf = elemType: {
      name = "listOf";
      inherit elemType;
      check = builtins.isList;
    };
    nullOr = elemType: {
      name = "nullOr";
      inherit elemType;
      check = value: value == null || elemType.check value;
    };
    enum = values: {
      name = "enum";
      check = value: builtins.elem value values;
    };
    submodule = module: {
      name = "submodule";
      options = module.options;
      check = builtins.isAttrs;
    };
  };
  mkIf = condition: content: {
    _type = "if";
    inherit condition content;
  };
  mkDefault = value: value;

  # The list, string and attribute helpers, as nixpkgs' lib defines them.
  optional = cond: elem: if cond then [ elem ] else [ ];
  optionals = cond: elems: if cond then elems else [ ];
  optionalAttrs = cond: attrs: if cond then attrs else { };
  filterAttrs =
    pred: set:
    builtins.listToAttrs (
      builtins.concatMap (
        name:
        let
          value = set.${name};
        in
        if pred name value then [ { inherit name value; } ] else [ ]
      ) (builtins.attrNames set)
    );
  hasPrefix = prefix: string: builtins.substring 0 (builtins.stringLength prefix) string == prefix;
  removePrefix =
    prefix: string:
    if hasPrefix prefix string then
      builtins.substring (builtins.stringLength prefix) (builtins.stringLength string) string
    else
      string;
  splitString = sep: string: builtins.filter builtins.isString (builtins.split (escapeRegex sep) string);
  escapeRegex = builtins.replaceStrings [ "." ":" ] [ "\\." ":" ];
  last = list: builtins.elemAt list (builtins.length list - 1);
  toInt = string: builtins.fromJSON string;
  imap0 = f: list: builtins.genList (index: f index (builtins.elemAt list index)) (builtins.length list);
  concatLists = builtins.concatLists;
  getBin = package: package;
  escapeShellArg =
    arg:
    let
      string = toString arg;
    in
    if builtins.match "[[:alnum:],._+:@%/-]+" string == null then
      "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] string}'"
    else
      string;
  escapeShellArgs = args: builtins.concatStringsSep " " (map escapeShellArg args);
  mapAttrs = builtins.mapAttrs;
  mapAttrsToList = f: set: map (name: f name set.${name}) (builtins.attrNames set);
  concatStrings = builtins.concatStringsSep "";
  cleanSource = src: src;
  genAttrs =
    names: f:
    builtins.listToAttrs (
      map (name: {
        inherit name;
        value = f name;
      }) names
    );
  platforms.linux = [
    "x86_64-linux"
    "aarch64-linux"
  ];
  fileset = {
    unions = files: files;
    toSource = { root, fileset }: root;
  };
}
