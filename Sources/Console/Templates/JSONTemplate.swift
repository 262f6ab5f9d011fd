extension ConsoleTemplates {
    /// One node of a JSON tree, recursive.
    static let jsonNode = """
        {{#isContainer}}<details {{#open}}open{{/open}}><summary>{{#hasKey}}<span class="json-key">{{key}}</span>: {{/hasKey}}<span class="json-brace">{{summary}}</span></summary><ul>{{#children}}<li>{{> json}}</li>{{/children}}</ul></details>{{/isContainer}}{{^isContainer}}{{#hasKey}}<span class="json-key">{{key}}</span>: {{/hasKey}}<span class="{{scalarClass}}">{{scalar}}</span>{{/isContainer}}
        """
}
